/** Pieces shared by the pages: status badges, tables, conditions, events, a live log. */
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { CORE, collection, streamLog, type Obj } from './api.js';
import { age, conditions, tone } from './format.js';
import { useWatch } from './hooks.js';
import { stringify } from 'yaml';

export function Badge({ status }: { status: string }) {
  return <span class={`badge ${tone(status)}`} data-status={status}>{status}</span>;
}

export function link(...parts: string[]): string {
  return '#/' + parts.map(encodeURIComponent).join('/');
}

export function Table({ head, rows, empty }: { head: string[]; rows: ComponentChildren[][]; empty?: string }) {
  return (
    <table>
      <thead><tr>{head.map((h) => <th>{h}</th>)}</tr></thead>
      <tbody>
        {rows.length === 0 ? <tr><td colSpan={head.length} class="empty">{empty ?? 'Nothing here yet.'}</td></tr> : rows.map((r) => <tr>{r.map((c) => <td>{c}</td>)}</tr>)}
      </tbody>
    </table>
  );
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return <section><h2>{title}</h2>{children}</section>;
}

export function Conditions({ obj }: { obj: Obj }) {
  const rows = conditions(obj).map((c) => [c.type, <Badge status={c.status} />, c.reason ?? '', c.message ?? '', age(c.lastTransitionTime)]);
  return <Table head={['Type', 'Status', 'Reason', 'Message', 'Since']} rows={rows} empty="No conditions." />;
}

/** The events about one object, live. */
export function Events({ obj }: { obj: Obj }) {
  const ns = obj.metadata.namespace ?? '';
  const path = `${collection(CORE, 'events', ns)}?fieldSelector=${encodeURIComponent(`involvedObject.name=${obj.metadata.name}`)}`;
  const events = useWatch(path);
  const rows = events.items
    .filter((e) => e['involvedObject']?.kind === obj.kind)
    .sort((a, b) => String(a['lastTimestamp'] ?? a.metadata.creationTimestamp).localeCompare(String(b['lastTimestamp'] ?? b.metadata.creationTimestamp)))
    .map((e) => [e['type'] ?? '', e['reason'] ?? '', e['message'] ?? '', String(e['count'] ?? 1), age(e['lastTimestamp'] ?? e.metadata.creationTimestamp)]);
  return <Table head={['Type', 'Reason', 'Message', 'Count', 'Age']} rows={rows} empty={events.error ?? 'No events.'} />;
}

/** A container's log, followed as it is written, with a search and a download. */
export function Log({ namespace, pod, container, previous }: { namespace: string; pod: string; container?: string; previous?: boolean }) {
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [filter, setFilter] = useState('');
  const [ended, setEnded] = useState(false);
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    setText('');
    setError('');
    setEnded(false);
    const abort = new AbortController();
    const q = new URLSearchParams({ follow: previous ? 'false' : 'true' });
    if (container) q.set('container', container);
    if (previous) q.set('previous', 'true');
    let buffered = '';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const path = `${collection(CORE, 'pods', namespace)}/${encodeURIComponent(pod)}/log?${q}`;
    // A container that has not started yet has no log: ask again each second until it has.
    const open = (): void => {
      streamLog(path, (t) => {
        setError('');
        buffered += t;
        timer ??= setTimeout(() => {
          timer = undefined;
          const add = buffered;
          buffered = '';
          setText((s) => s + add);
        }, 50);
      }, abort.signal)
        .then(() => setEnded(true))
        .catch((err: Error) => {
          if (abort.signal.aborted) return;
          setError(err.message);
          if (!previous) setTimeout(() => { if (!abort.signal.aborted) open(); }, 1000);
        });
    };
    open();
    return () => abort.abort();
  }, [namespace, pod, container, previous]);
  useEffect(() => {
    const el = pre.current;
    if (el && !filter) el.scrollTop = el.scrollHeight;
  }, [text, filter]);
  const shown = useMemo(() => (filter ? text.split('\n').filter((l) => l.includes(filter)).join('\n') : text), [text, filter]);
  const download = () => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    a.download = `${pod}${container ? '-' + container : ''}.log`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };
  return (
    <div class="log">
      <div class="toolbar">
        <input placeholder="Search the log" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        <button onClick={download}>Download</button>
        <span class="muted">{ended ? 'end of log' : error ? 'waiting for the container' : 'following…'}</span>
      </div>
      {error && !text && <p class="muted">{error}</p>}
      <pre ref={pre} data-testid="log">{shown}</pre>
    </div>
  );
}

/** The object as YAML (without managedFields, which only appliers read), shown on demand. */
export function Yaml({ obj }: { obj: Obj }) {
  const [open, setOpen] = useState(false);
  const { managedFields: _m, ...metadata } = obj.metadata as Obj['metadata'] & { managedFields?: unknown };
  return (
    <details open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>YAML</summary>
      {open && <pre class="object" data-testid="object-yaml">{stringify({ ...obj, metadata })}</pre>}
    </details>
  );
}
