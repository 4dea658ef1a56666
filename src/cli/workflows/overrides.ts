/**
 * What `drover submit` changes in a Workflow manifest before sending it: parameter values
 * (`-p NAME=VALUE`, `--parameter-file`), the name, the entrypoint and the service account.
 *
 * The server reports problems with the file's line and column, so the text is edited in place
 * rather than re-serialised: the yaml package's Document API finds the nodes, and only the bytes
 * of the values that change are replaced, by one-line JSON scalars (valid YAML), padded with the
 * newlines the old value spanned. Every line that is not edited keeps its number. A key that has
 * to be added goes in one flow-style line at the end of its block map or sequence (or on the same
 * line inside a flow collection), so only lines after that point in the same document move, by one.
 */
import { parseAllDocuments, isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { CliError } from '../context.js';

export interface SubmitOverrides {
  /** In the order given; a later value for a name wins. */
  parameters?: [string, string][];
  name?: string;
  generateName?: string;
  entrypoint?: string;
  serviceAccount?: string;
}

/** The parameters a referenced (Cluster)WorkflowTemplate declares, or undefined when unknown. */
export type TemplateParameters = (ref: { name: string; clusterScope: boolean }) => string[] | undefined;

interface Edit {
  start: number;
  end: number;
  text: string;
  seq: number;
}

/** The names a spec declares: its arguments, and the inputs of its entrypoint template. */
export function declaredParameters(spec: unknown, entrypoint?: string): string[] {
  const s = (spec ?? {}) as { arguments?: { parameters?: { name?: unknown }[] }; entrypoint?: unknown; templates?: { name?: unknown; inputs?: { parameters?: { name?: unknown }[] } }[] };
  const names: string[] = [];
  const add = (n: unknown) => {
    if (typeof n === 'string' && !names.includes(n)) names.push(n);
  };
  for (const p of s.arguments?.parameters ?? []) add(p?.name);
  const entry = entrypoint ?? s.entrypoint;
  const tmpl = (s.templates ?? []).find((t) => t?.name === entry);
  for (const p of tmpl?.inputs?.parameters ?? []) add(p?.name);
  return names;
}

/** The workflowTemplateRefs of the Workflow documents in a text (to fetch their parameters first). */
export function templateRefsIn(text: string): { name: string; clusterScope: boolean }[] {
  const out: { name: string; clusterScope: boolean }[] = [];
  for (const doc of parseAllDocuments(text)) {
    const v = doc.errors.length ? undefined : (doc.toJS() as { kind?: unknown; spec?: { workflowTemplateRef?: { name?: unknown; clusterScope?: unknown } } } | null);
    const ref = v?.kind === 'Workflow' ? v.spec?.workflowTemplateRef : undefined;
    if (ref && typeof ref.name === 'string') out.push({ name: ref.name, clusterScope: ref.clusterScope === true });
  }
  return out;
}

/** Counts newlines, for keeping line numbers when a multi-line value becomes one line. */
const newlines = (s: string) => s.split('\n').length - 1;
const scalar = (v: string) => JSON.stringify(v);

class Editor {
  readonly edits: Edit[] = [];
  constructor(readonly text: string) {}

  private add(start: number, end: number, text: string): void {
    this.edits.push({ start, end, text, seq: this.edits.length });
  }

  /** Replaces a node with a one-line value, padded with the newlines the old one spanned. */
  replaceNode(node: Node, value: string): void {
    const [start, end] = node.range!;
    this.add(start, end, value + '\n'.repeat(newlines(this.text.slice(start, end))));
  }

  /** Replaces a pair's key text (`generateName` → `name`). */
  renameKey(pair: Pair, key: string): void {
    const k = pair.key as Node;
    this.add(k.range![0], k.range![1], key);
  }

  /** Gives a `key:` with no value one, on the same line. */
  private fillEmpty(pair: Pair, value: string): void {
    const k = pair.key as Node;
    const colon = this.text.indexOf(':', k.range![1]);
    this.add(colon + 1, colon + 1, ` ${value}`);
  }

  private column(offset: number): number {
    return offset - (this.text.lastIndexOf('\n', offset - 1) + 1);
  }

  /** Sets `key` in a map to a one-line YAML value, adding the pair when missing. */
  set(map: YAMLMap, key: string, value: string): void {
    const pair = findPair(map, key);
    if (pair) {
      if (pair.value === null || pair.value === undefined || (isScalar(pair.value) && pair.value.value === null && pair.value.range![0] === pair.value.range![1])) {
        this.fillEmpty(pair, value);
      } else {
        this.replaceNode(pair.value as Node, value);
      }
      return;
    }
    this.addPair(map, key, value);
  }

  addPair(map: YAMLMap, key: string, value: string): void {
    const [start, end] = map.range!;
    if (map.flow) {
      const close = this.text.lastIndexOf('}', end - 1);
      // Quoted keys keep a JSON manifest JSON (and are valid YAML).
      this.add(close, close, `${map.items.length ? ', ' : ''}${JSON.stringify(key)}: ${value}`);
      return;
    }
    const first = map.items[0]?.key as Node | undefined;
    const indent = ' '.repeat(this.column(first?.range?.[0] ?? start));
    const atLineStart = end === 0 || this.text[end - 1] === '\n';
    this.add(end, end, `${atLineStart ? '' : '\n'}${indent}${key}: ${value}${atLineStart ? '\n' : ''}`);
  }

  append(seq: YAMLSeq, value: string): void {
    const [start, end] = seq.range!;
    if (seq.flow) {
      const close = this.text.lastIndexOf(']', end - 1);
      this.add(close, close, `${seq.items.length ? ', ' : ''}${value}`);
      return;
    }
    const dash = this.text.lastIndexOf('-', (seq.items[0] as Node | undefined)?.range?.[0] ?? start);
    const indent = ' '.repeat(this.column(dash >= 0 ? dash : start));
    const atLineStart = end === 0 || this.text[end - 1] === '\n';
    this.add(end, end, `${atLineStart ? '' : '\n'}${indent}- ${value}${atLineStart ? '\n' : ''}`);
  }

  /**
   * Removes a pair, leaving its lines blank. Not possible for the first pair of a sequence item
   * (the `- ` would be left alone on its line); returns false then.
   */
  remove(map: YAMLMap, pair: Pair): boolean {
    const k = pair.key as Node;
    const lineStart = this.text.lastIndexOf('\n', k.range![0] - 1) + 1;
    if (map.flow || this.text.slice(lineStart, k.range![0]).trim() !== '') return false;
    const v = pair.value as Node | null;
    const end = v?.range ? (isScalar(v) ? v.range[1] : v.range[1]) : k.range![1] + 1;
    this.add(k.range![0], end, '\n'.repeat(newlines(this.text.slice(k.range![0], end))));
    return true;
  }

  apply(): string {
    let out = this.text;
    for (const e of [...this.edits].sort((a, b) => b.start - a.start || b.seq - a.seq)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
    return out;
  }
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p): p is Pair => isPair(p) && isScalar(p.key) && p.key.value === key);
}

function mapAt(node: unknown): YAMLMap | undefined {
  return isMap(node) ? node : undefined;
}

function where(file: string, doc: Document.Parsed, lineOf: (offset: number) => number): string {
  return `${file}:${lineOf(doc.contents?.range?.[0] ?? 0)}`;
}

/**
 * Applies the overrides to every Workflow in a multi-document text (text with YAML syntax errors
 * is returned unchanged, for the server to report). A parameter the workflow does not declare (in `spec.arguments`, its entrypoint's inputs, or the template it references) is an
 * error naming the declared ones; documents of other kinds are refused.
 */
export function overrideWorkflowText(text: string, file: string, o: SubmitOverrides, templateParameters?: TemplateParameters): string {
  const docs = parseAllDocuments(text);
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  // Text that does not parse goes as it is: the server reports the syntax error with its position.
  if (docs.some((d) => d.errors.length)) return text;
  const ed = new Editor(text);
  for (const doc of docs) {
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    const root = mapAt(doc.contents);
    const js = doc.toJS() as { kind?: unknown; metadata?: unknown; spec?: Record<string, unknown> } | null;
    if (!root || js?.kind !== 'Workflow') {
      const kind = typeof js?.kind === 'string' ? js.kind : 'a document without a kind';
      throw new CliError(`${where(file, doc, lineOf)}: submit takes Workflow manifests, not ${kind} (use "drover apply" or "drover create" for other kinds)`);
    }
    editWorkflow(ed, root, js, o, file, templateParameters);
  }
  return ed.apply();
}

function editWorkflow(ed: Editor, root: YAMLMap, js: { metadata?: unknown; spec?: Record<string, unknown> }, o: SubmitOverrides, file: string, templateParameters?: TemplateParameters): void {
  const metadata = mapAt(findPair(root, 'metadata')?.value);
  if (o.name !== undefined || o.generateName !== undefined) {
    if (!metadata) {
      const meta = o.name !== undefined ? { name: o.name } : { generateName: o.generateName };
      ed.set(root, 'metadata', JSON.stringify(meta));
    } else {
      setName(ed, metadata, o);
    }
  }
  const specPair = findPair(root, 'spec');
  const spec = mapAt(specPair?.value);
  const specJs = js.spec ?? {};
  const specEdits: [string, string][] = [];
  if (o.entrypoint !== undefined) specEdits.push(['entrypoint', o.entrypoint]);
  if (o.serviceAccount !== undefined) specEdits.push(['serviceAccountName', o.serviceAccount]);
  const params = o.parameters ?? [];
  if (!spec) {
    if (specEdits.length || params.length) throw new CliError(`${file}: the Workflow "${workflowName(js)}" has no spec to set parameters or options in`);
    return;
  }
  for (const [k, v] of specEdits) ed.set(spec, k, scalar(v));
  if (params.length === 0) return;

  const entrypoint = o.entrypoint ?? (typeof specJs['entrypoint'] === 'string' ? specJs['entrypoint'] : undefined);
  let declared: string[] | undefined = declaredParameters(specJs, entrypoint);
  const ref = specJs['workflowTemplateRef'] as { name?: unknown; clusterScope?: unknown } | undefined;
  if (ref && typeof ref.name === 'string') {
    const fromTemplate = templateParameters?.({ name: ref.name, clusterScope: ref.clusterScope === true });
    declared = fromTemplate === undefined ? undefined : [...new Set([...declared, ...fromTemplate])];
  }
  if (declared) {
    for (const [name] of params) {
      if (!declared.includes(name)) {
        const list = declared.length ? `declared parameters: ${declared.join(', ')}` : 'it declares no parameters';
        throw new CliError(`${file}: parameter "${name}" is not declared by workflow "${workflowName(js)}" (${list})`);
      }
    }
  }

  const argsPair = findPair(spec, 'arguments');
  const args = mapAt(argsPair?.value);
  const paramsPair = args ? findPair(args, 'parameters') : undefined;
  const seq = isSeq(paramsPair?.value) ? (paramsPair!.value as YAMLSeq) : undefined;
  const missing: { name: string; value: string }[] = [];
  for (const [name, value] of params) {
    const item = seq?.items.find((it): it is YAMLMap => isMap(it) && isScalar(findPair(it, 'name')?.value) && (findPair(it, 'name')!.value as { value: unknown }).value === name);
    if (item) {
      // -p gives the value; a valueFrom would compete with it (Argo drops it too). Turning
      // `valueFrom:` into `value:` in place keeps the lines where they were.
      const from = findPair(item, 'valueFrom');
      if (from && !findPair(item, 'value') && from.value) {
        ed.renameKey(from, 'value');
        ed.replaceNode(from.value as Node, scalar(value));
      } else {
        ed.set(item, 'value', scalar(value));
        if (from) ed.remove(item, from);
      }
    } else {
      missing.push({ name, value });
    }
  }
  if (missing.length === 0) return;
  if (seq) for (const m of missing) ed.append(seq, JSON.stringify(m));
  else if (paramsPair) ed.set(args!, 'parameters', JSON.stringify(missing));
  else if (args) ed.addPair(args, 'parameters', JSON.stringify(missing));
  else ed.set(spec, 'arguments', JSON.stringify({ parameters: missing }));
}

function setName(ed: Editor, metadata: YAMLMap, o: SubmitOverrides): void {
  const [want, other] = o.name !== undefined ? (['name', 'generateName'] as const) : (['generateName', 'name'] as const);
  const value = scalar((o.name ?? o.generateName)!);
  const own = findPair(metadata, want);
  const rival = findPair(metadata, other);
  if (own) {
    ed.set(metadata, want, value);
    // The name given wins: a rival that would decide the name instead goes (or becomes this one).
    if (rival && !ed.remove(metadata, rival)) throw new CliError(`cannot set metadata.${want}: remove metadata.${other} from the manifest`);
  } else if (rival) {
    ed.renameKey(rival, want);
    ed.replaceNode(rival.value as Node, value);
  } else {
    ed.addPair(metadata, want, value);
  }
}

function workflowName(js: { metadata?: unknown }): string {
  const m = (js.metadata ?? {}) as { name?: unknown; generateName?: unknown };
  return typeof m.name === 'string' ? m.name : typeof m.generateName === 'string' ? m.generateName : '';
}

/** The same overrides on a Workflow object built in memory (`submit --from`). */
export function overrideWorkflowObject(wf: { metadata: Record<string, unknown>; spec: Record<string, unknown> }, o: SubmitOverrides, declared: string[] | undefined, what: string): void {
  if (o.name !== undefined) {
    wf.metadata['name'] = o.name;
    delete wf.metadata['generateName'];
  }
  if (o.generateName !== undefined) {
    wf.metadata['generateName'] = o.generateName;
    delete wf.metadata['name'];
  }
  if (o.entrypoint !== undefined) wf.spec['entrypoint'] = o.entrypoint;
  if (o.serviceAccount !== undefined) wf.spec['serviceAccountName'] = o.serviceAccount;
  const params = o.parameters ?? [];
  if (params.length === 0) return;
  if (declared) {
    for (const [name] of params) {
      if (!declared.includes(name)) {
        const list = declared.length ? `declared parameters: ${declared.join(', ')}` : 'it declares no parameters';
        throw new CliError(`parameter "${name}" is not declared by ${what} (${list})`);
      }
    }
  }
  const args = ((wf.spec['arguments'] ??= {}) as { parameters?: Record<string, unknown>[] });
  const list = (args.parameters ??= []);
  for (const [name, value] of params) {
    const cur = list.find((p) => p['name'] === name);
    if (cur) {
      cur['value'] = value;
      delete cur['valueFrom'];
    } else list.push({ name, value });
  }
}
