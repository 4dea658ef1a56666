/**
 * Apply from the browser: YAML in, the server's apply (`/apis/drover.dev/v1/namespaces/NS/apply`,
 * what `drover apply -f` uses) out. A bad manifest stores nothing, and each error the server gives
 * (file:line:col, field, what was expected) is shown under the line it names.
 */
import { useState } from 'preact/hooks';
import { ApiError, request } from '../api.js';
import { link } from '../parts.js';

const FILE = 'browser.yaml';

interface Cause {
  field?: string;
  message: string;
}

interface Result {
  kind: string;
  namespace?: string;
  name: string;
  action: string;
}

/** Where an error message points: `browser.yaml:12:3: spec.x: …` → line 12. */
export function lineOf(message: string): number | undefined {
  const m = new RegExp(`^${FILE.replace('.', '\\.')}:(\\d+)`).exec(message);
  return m ? Number(m[1]) : undefined;
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
      const res = await request(`/apis/drover.dev/v1/namespaces/${encodeURIComponent(namespace)}/apply`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ documents: [{ file: FILE, text }] }),
      });
      const body = (await res.json()) as { results: Result[]; warnings: string[] };
      setResults(body.results);
      setWarnings(body.warnings);
    } catch (err) {
      setError((err as Error).message);
      if (err instanceof ApiError) setCauses(err.causes);
    }
  };
  const lines = text.split('\n');
  const placed = new Map<number, string[]>();
  const unplaced: string[] = [];
  for (const c of causes) {
    const line = lineOf(c.message);
    if (line && line <= lines.length) placed.set(line, [...(placed.get(line) ?? []), c.message.replace(/^[^:]+:\d+(?::\d+)?:\s*/, '')]);
    else unplaced.push(c.message);
  }
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
      {causes.length > 0 && (
        <div class="listing" data-testid="apply-errors">
          {lines.map((l, i) => (
            <>
              <div class={`line ${placed.has(i + 1) ? 'bad' : ''}`} data-line={i + 1}><span class="no">{i + 1}</span><code>{l || ' '}</code></div>
              {(placed.get(i + 1) ?? []).map((m) => <div class="line-error" data-error-line={i + 1}>{m}</div>)}
            </>
          ))}
          {unplaced.map((m) => <div class="line-error">{m}</div>)}
        </div>
      )}
    </div>
  );
}
