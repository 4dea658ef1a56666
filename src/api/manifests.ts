/**
 * Loading manifests: YAML or JSON text in, validated objects out, or one ValidationError listing
 * every problem with its file:line:column and field path.
 *
 * Each object goes through four checks, all working on plain data so objects that arrive over HTTP
 * without text get the same treatment (`validate`):
 *   1. kind: a kind of the catalog the loader was made with;
 *   2. schema (./schema.ts): the upstream OpenAPI schema, plus strict unknown-field detection;
 *   3. support (./support.ts): fields Drover does not implement are rejected or warned about;
 *   4. semantics (./semantics.ts and the kind's own checks): the API server's rules.
 * The kinds bring their schemas, tables and checks (src/kinds/<family>/validate.ts); this module
 * knows none by name. Findings carry field paths; only this module knows the YAML source and turns
 * paths into positions.
 */
import { type Document, type Node, type ScalarTag, LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import { type FieldIssue, type SourcePosition, ValidationError, formatPosition } from './errors.js';
import { type FieldPath, type Finding, type PathSegment, describeValue, formatPath, isRecord } from './fieldpath.js';
import type { KindInfo, KindTable } from './kinds.js';
import { type SchemaModel, type SchemaView, checkSchema } from './schema.js';
import { type Ctx, type NameRule, checkMetadata } from './semantics.js';
import { type Shape, checkSupport } from './support.js';
import type { KubeObject } from './types.js';

/** How one kind is validated; every part is optional (a kind with none gets the metadata rules). */
export interface KindValidation {
  /** The upstream schema, as a kubernetes-models class. */
  schema?: SchemaModel;
  /** The manifest as the schema expects it, where the schema is stricter than the controller. */
  schemaView?: (obj: Record<string, unknown>) => SchemaView;
  /** What Drover implements (src/api/support.ts `objectShape`). */
  support?: Shape;
  name?: NameRule;
  /** The kind's own checks beyond its metadata. */
  semantics?: (obj: Record<string, unknown>) => Finding[];
  /** Keep `data` values out of messages (Secrets). */
  hideValues?: boolean;
}

/** The kinds a loader accepts and how each is validated. */
export interface ValidationCatalog {
  kinds: KindTable;
  validation(info: KindInfo): KindValidation | undefined;
}

/** Every check of one kind's validation over `obj`, in order: schema, support, metadata, the kind's own. */
export function checkKind(obj: Record<string, unknown>, info: KindInfo, v: KindValidation): Finding[] {
  const schema = v.schema ? checkSchema(obj, v.schema, { ...(v.hideValues ? { hideValues: true } : {}), ...(v.schemaView ? { view: v.schemaView } : {}) }) : undefined;
  const findings: Finding[] = [...(schema?.findings ?? [])];
  if (v.support) findings.push(...checkSupport(obj, v.support, schema?.unknownFields ?? new Set<string>()));
  const ctx: Ctx = { findings };
  checkMetadata(ctx, obj, info.kind, info.namespaced, v.name);
  if (v.semantics) findings.push(...v.semantics(obj));
  return dedupe(findings);
}

export interface LoadedManifest {
  object: KubeObject;
  file?: string;
  /** Where the object starts in the source (1-based). */
  line: number;
  column: number;
}

export interface LoadResult {
  manifests: LoadedManifest[];
  /** One line each, ready to print: `warning: train.yaml:12:7: spec...imagePullPolicy is ignored (images are not pulled)`. */
  warnings: string[];
}

/** What `inspectObject` found in one object: errors (refuse it) and warnings (accept it, but tell the user). */
export interface ObjectCheck {
  issues: FieldIssue[];
  warnings: string[];
}

/** Loads and validates manifests of the kinds of one catalog. */
export class ManifestLoader {
  constructor(private readonly catalog: ValidationCatalog) {}

  /**
   * Parses multi-document YAML or JSON text (`List` kinds are flattened), validates each object and
   * rejects fields Drover does not support. Throws ValidationError listing every issue across all
   * documents, each with file, line, column and field path; nothing is returned when anything is wrong.
   */
  load(text: string, file?: string): LoadResult {
    return loadManifests(text, file, (obj) => this.findings(obj));
  }

  /** The upstream schema `info` is validated with, if it has one (what OpenAPI documents are read from). */
  schemaOf(info: KindInfo): SchemaModel | undefined {
    return this.catalog.validation(info)?.schema;
  }

  /** The same checks as `load`, for an object that arrived without text (positions absent). */
  validate(obj: KubeObject): FieldIssue[] {
    return this.inspect(obj).issues;
  }

  /** The fields of `obj` that its kind's schema does not have, each a path from the object's root. */
  unknownFields(obj: unknown): FieldPath[] {
    return this.findings(withoutNulls(obj)).flatMap((f) => (f.unknownField ? [f.path] : []));
  }

  /** Like `validate`, and also returns the warnings (for an API response's `Warning` headers). */
  inspect(obj: unknown): ObjectCheck {
    const out: ObjectCheck = { issues: [], warnings: [] };
    for (const f of this.findings(withoutNulls(obj))) {
      if (f.severity === 'error') out.issues.push({ path: formatPath(f.path), message: f.message });
      else out.warnings.push(`warning: ${f.message}`);
    }
    return out;
  }

  private findings(obj: unknown): Finding[] {
    if (!isRecord(obj)) return [{ severity: 'error', path: [], message: `expected a Kubernetes object, got ${describeValue(obj)}`, anchor: 'value' }];
    const findings: Finding[] = [];
    const apiVersion = obj['apiVersion'];
    const kind = obj['kind'];
    for (const [field, v] of [['apiVersion', apiVersion], ['kind', kind]] as const) {
      if (v === undefined || v === null || v === '') findings.push({ severity: 'error', path: [field], message: `required field "${field}" is missing`, anchor: 'parent' });
      else if (typeof v !== 'string') findings.push({ severity: 'error', path: [field], message: `expected string, got ${describeValue(v)}`, anchor: 'value' });
    }
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || findings.length > 0) return findings;

    const kinds = this.catalog.kinds.all;
    const info = this.catalog.kinds.of(apiVersion, kind);
    if (!info || !info.userCreatable) {
      const sameName = kinds.find((k) => k.kind === kind && k.userCreatable);
      const hint = sameName && !info ? ` (${kind} is ${sameName.apiVersion})` : '';
      const creatable = kinds
        .filter((k) => k.userCreatable)
        .map((k) => `${k.kind} (${k.apiVersion})`)
        .join(', ');
      findings.push({ severity: 'error', path: ['kind'], message: `unknown kind ${JSON.stringify(kind)} for apiVersion ${JSON.stringify(apiVersion)}${hint}; supported: ${creatable}`, anchor: 'value' });
      return findings;
    }
    return checkKind(obj, info, this.catalog.validation(info) ?? {});
  }
}

/**
 * `0644` is octal to kubectl and Argo (Go's YAML reads ints as YAML 1.1 does: 420), decimal 644
 * to YAML 1.2. Manifests mean the former (`defaultMode: 0644`, an artifact's `mode: 0755`).
 */
const GO_OCTAL: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  test: /^[-+]?0[0-7]+$/,
  resolve: (s: string) => parseInt(s, 8),
  identify: () => false,
};

function loadManifests(text: string, file: string | undefined, checkObjectFindings: (obj: unknown) => Finding[]): LoadResult {
  const lineCounter = new LineCounter();
  // merge: kubectl's YAML reader accepts `<<` merge keys; uniqueKeys: a duplicate key is an error there too.
  const docs = parseAllDocuments(text, { lineCounter, merge: true, uniqueKeys: true, customTags: (tags) => [GO_OCTAL, ...(tags as ScalarTag[])] });
  const position = (offset: number): SourcePosition & { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { ...(file !== undefined ? { file } : {}), line, column: col };
  };
  const issues: FieldIssue[] = [];
  const warnings: string[] = [];
  const manifests: LoadedManifest[] = [];

  const accept = (value: Record<string, unknown>, doc: Document.Parsed, node: Node): void => {
    const findings = checkObjectFindings(value);
    let failed = false;
    for (const f of findings) {
      const pos = position(locate(doc, node, f.path, f.anchor));
      if (f.severity === 'error') {
        failed = true;
        issues.push({ ...pos, path: formatPath(f.path), message: f.message });
      } else {
        warnings.push(`warning: ${formatPosition(pos)}: ${f.message}`);
      }
    }
    if (!failed) manifests.push({ object: value as KubeObject, ...position(startOf(node)) });
  };

  for (const doc of docs) {
    // Only a document's first syntax error: the parser's later ones mostly follow from it.
    const syntax = doc.errors[0];
    if (syntax) {
      const at = syntax.linePos?.[0];
      issues.push({ ...(file !== undefined ? { file } : {}), ...(at ? { line: at.line, column: at.col } : {}), path: '', message: yamlMessage(syntax.message) });
      continue;
    }
    for (const w of doc.warnings) {
      const at = w.linePos?.[0];
      warnings.push(`warning: ${formatPosition({ file, ...(at ? { line: at.line, column: at.col } : {}) }) || '<input>'}: ${yamlMessage(w.message)}`);
    }
    const contents = doc.contents;
    // Empty documents (`---` with nothing, or only comments) are skipped, as kubectl does.
    if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === ''))) continue;
    let value: unknown;
    try {
      value = withoutNulls(doc.toJS());
    } catch (err) {
      // e.g. an alias bomb: yaml refuses to expand excessive aliases.
      issues.push({ ...position(startOf(contents)), path: '', message: yamlMessage(err instanceof Error ? err.message : String(err)) });
      continue;
    }
    if (!isRecord(value)) {
      issues.push({ ...position(startOf(contents)), path: '', message: `expected a Kubernetes object (a map with apiVersion and kind), got ${describeValue(value)}` });
      continue;
    }
    if (isList(value)) {
      const items = value['items'];
      if (!Array.isArray(items)) {
        issues.push({ ...position(locate(doc, contents, ['items'], 'value')), path: 'items', message: `expected array, got ${describeValue(items)}` });
        continue;
      }
      items.forEach((item, i) => {
        const itemNode = nodeAt(doc, contents, ['items', i]) ?? contents;
        if (!isRecord(item)) {
          issues.push({ ...position(startOf(itemNode)), path: `items[${i}]`, message: `expected a Kubernetes object, got ${describeValue(item)}` });
          return;
        }
        accept(item, doc, itemNode);
      });
      continue;
    }
    accept(value, doc, contents);
  }

  if (issues.length > 0) throw new ValidationError(sortByPosition(issues));
  return { manifests, warnings: [...new Set(warnings)] };
}

/**
 * Drops properties whose value is null, recursively. Kubernetes reads `field: null` (and YAML's
 * `field:` with nothing after it) as an unset field, so they must not fail the schema's type and
 * enum checks, and controllers should not see them either. Nulls inside arrays are kept.
 */
export function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => withoutNulls(v)) as T;
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutNulls(v);
  return out as T;
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.severity}\u0000${formatPath(f.path)}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isList(value: Record<string, unknown>): boolean {
  const kind = value['kind'];
  return kind === 'List' || (typeof kind === 'string' && kind.endsWith('List') && 'items' in value);
}

/** yaml's messages end with ` at line L, column C:` and a snippet; the position is reported separately. */
function yamlMessage(message: string): string {
  // The parser and the conversion recurse per level: a hostile document (ten thousand `[`)
  // exhausts the stack. That is caught where it happens and said plainly.
  if (message.includes('Maximum call stack size exceeded')) return 'nested too deeply to read: refused (a Kubernetes object nests a few dozen levels at most)';
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?\s*$/, '');
}

function sortByPosition(issues: FieldIssue[]): FieldIssue[] {
  // Documents come in source order already; this orders the checks' findings within each one.
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || (a.issue.column ?? 0) - (b.issue.column ?? 0) || a.i - b.i)
    .map((x) => x.issue);
}

// ---- Finding YAML nodes by field path ----

function startOf(node: Node): number {
  return node.range?.[0] ?? 0;
}

function resolveAlias(doc: Document.Parsed, node: unknown): Node | undefined {
  if (isAlias(node)) return resolveAlias(doc, node.resolve(doc));
  return node === null || node === undefined ? undefined : (node as Node);
}

interface Step {
  /** The key node (for a sequence element, the element itself). */
  key: Node;
  /** The value node; undefined for `key:` with no value. */
  value: Node | undefined;
}

function step(doc: Document.Parsed, node: Node, seg: PathSegment): Step | undefined {
  const cur = resolveAlias(doc, node);
  if (isSeq(cur) && typeof seg === 'number') {
    const item = resolveAlias(doc, cur.items[seg]);
    return item ? { key: item, value: item } : undefined;
  }
  if (!isMap(cur)) return undefined;
  for (const pair of cur.items) {
    if (isScalar(pair.key) && typeof pair.key.value !== 'symbol' && String(pair.key.value) === String(seg)) {
      return { key: pair.key, value: resolveAlias(doc, pair.value) };
    }
  }
  // Fields that came from a `<<` merge key live in the merged map.
  for (const pair of cur.items) {
    if (!isScalar(pair.key) || typeof pair.key.value !== 'symbol') continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const src of sources) {
      const srcNode = resolveAlias(doc, src);
      const found = srcNode ? step(doc, srcNode, seg) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

function nodeAt(doc: Document.Parsed, root: Node, path: FieldPath): Node | undefined {
  let cur: Node | undefined = root;
  for (const seg of path) {
    if (!cur) return undefined;
    cur = step(doc, cur, seg)?.value;
  }
  return cur;
}

/**
 * Source offset for a finding: the field's key, its value, or (for a missing field) the object
 * that should hold it. When the path leaves the source (a field that is absent), the deepest node
 * that exists is used.
 */
function locate(doc: Document.Parsed, root: Node, path: FieldPath, anchor: Finding['anchor']): number {
  const target = anchor === 'parent' ? path.slice(0, -1) : path;
  let cur: Node = root;
  let last: Step | undefined;
  for (const seg of target) {
    const next = step(doc, cur, seg);
    if (!next) return startOf(cur);
    last = next;
    if (!next.value) return startOf(next.key);
    cur = next.value;
  }
  if (anchor === 'key' && last) return startOf(last.key);
  return startOf(cur);
}
