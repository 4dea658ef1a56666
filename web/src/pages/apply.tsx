/**
 * Apply from the browser: YAML in, the server's apply (`/apis/drover.dev/v1/namespaces/NS/apply`,
 * what `drover apply -f` uses) out. A bad manifest stores nothing, and each error the server gives
 * (file:line:col, field, what was expected) is shown under the line it names.
 */
import { useState } from 'preact/hooks';
import { ApiError, request } from '../api.js';
import { link } from '../parts.js';

const FILE = 'browser.yaml';

export interface Cause {
  field?: string;
  message: string;
}

export interface Result {
  kind: string;
  namespace?: string;
  name: string;
  action: string;
}

/** Where an error message points: `browser.yaml:12:3: spec.x: …` → line 12. */
export function lineOf(message: string, file = FILE): number | undefined {
  if (!message.startsWith(`${file}:`)) return undefined;
  const m = /^(\d+)/.exec(message.slice(file.length + 1));
  return m ? Number(m[1]) : undefined;
}

/** Posts `text` to the namespace's apply as `file`: the results, or an ApiError with the causes. */
export async function applyText(namespace: string, file: string, text: string, mode?: 'create'): Promise<{ results: Result[]; warnings: string[] }> {
  const res = await request(`/apis/drover.dev/v1/namespaces/${encodeURIComponent(namespace)}/apply`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ documents: [{ file, text }], ...(mode ? { mode } : {}) }),
  });
  return (await res.json()) as { results: Result[]; warnings: string[] };
}

/** A numbered listing of `text` with each cause under the line its message names. */
export function ErrorListing({ text, causes, file = FILE }: { text: string; causes: Cause[]; file?: string }) {
  const lines = text.split('\n');
  const placed = new Map<number, string[]>();
  const unplaced: string[] = [];
  for (const c of causes) {
    const line = lineOf(c.message, file);
    if (line && line <= lines.length) placed.set(line, [...(placed.get(line) ?? []), c.message.replace(/^[^:]+:\d+(?::\d+)?:\s*/, '')]);
    else unplaced.push(c.message);
  }
  return (
    <div class="listing" data-testid="apply-errors">
      {lines.map((l, i) => (
        <>
          <div class={`line ${placed.has(i + 1) ? 'bad' : ''}`} data-line={i + 1}><span class="no">{i + 1}</span><code>{l || ' '}</code></div>
          {(placed.get(i + 1) ?? []).map((m) => <div class="line-error" data-error-line={i + 1}>{m}</div>)}
        </>
      ))}
      {unplaced.map((m) => <div class="line-error">{m}</div>)}
    </div>
  );
}

const pages: Record<string, string> = { Job: 'jobs', Pod: 'pods', Workflow: 'workflows', Experiment: 'experiments' };

export function ApplyPage({ ns }: { ns: string }) {
  const [text, setText] = useState('');
  const [causes, setCauses] = useState<Cause[]>([]);
  const [error, setError] = useState('');
  const [results, setResults] = useState<Result[]>([]);
  const [warnings, setWarnings] = useState<string[]>([]);
  const namespace = ns || 'default';
  const apply = async () => {
    setCauses([]);
    setError('');
    setResults([]);
    setWarnings([]);
    try {
      const body = await applyText(namespace, FILE, text);
      setResults(body.results);
      setWarnings(body.warnings);
    } catch (err) {
      setError((err as Error).message);
      if (err instanceof ApiError) setCauses(err.causes);
    }
  };
  return (
    <div>
      <h1>Apply YAML</h1>
      <p class="muted">Into namespace {namespace} (where a manifest names none). Everything is checked before anything is stored.</p>
      <textarea class="yaml" data-testid="yaml" spellcheck={false} rows={18} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} placeholder="apiVersion: batch/v1&#10;kind: Job&#10;…" />
      <div class="toolbar"><button onClick={apply}>Apply</button></div>
      {results.length > 0 && (
        <ul data-testid="apply-results">
          {results.map((r) => {
            const page = pages[r.kind];
            const label = `${r.kind.toLowerCase()}/${r.name} ${r.action}`;
            return <li>{page && r.namespace ? <a href={link(page, r.namespace, r.name)}>{label}</a> : label}</li>;
          })}
        </ul>
      )}
      {warnings.map((w) => <p class="muted">Warning: {w}</p>)}
      {error && causes.length === 0 && <p class="error" data-testid="apply-error">{error}</p>}
      {causes.length > 0 && <ErrorListing text={text} causes={causes} />}
    </div>
  );
}
