/** Jobs and pods: lists with filters, and each one's detail (conditions, events, live log). */
import { useState } from 'preact/hooks';
import { BATCH, CORE, collection, send, type Obj } from '../api.js';
import { age, duration, jobStatus, podStatus } from '../format.js';
import { useWatch } from '../hooks.js';
import { Badge, Conditions, Events, Log, Section, Table, Yaml, link } from '../parts.js';

function Filter({ value, onInput, states, state, onState }: { value: string; onInput(v: string): void; states: string[]; state: string; onState(v: string): void }) {
  return (
    <div class="toolbar">
      <input placeholder="Filter by name or label" value={value} onInput={(e) => onInput((e.target as HTMLInputElement).value)} />
      <select value={state} onChange={(e) => onState((e.target as HTMLSelectElement).value)}>
        <option value="">any status</option>
        {states.map((s) => <option value={s}>{s}</option>)}
      </select>
    </div>
  );
}

const matches = (o: Obj, text: string) => !text || o.metadata.name.includes(text) || Object.entries(o.metadata.labels ?? {}).some(([k, v]) => `${k}=${v}`.includes(text));
const byAge = (a: Obj, b: Obj) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp));

export async function remove(path: string, what: string): Promise<void> {
  if (!confirm(`Delete ${what}?`)) return;
  try {
    await send('DELETE', `${path}?propagationPolicy=Background`);
  } catch (err) {
    alert((err as Error).message);
  }
}

export function JobsPage({ ns }: { ns: string }) {
  const jobs = useWatch(collection(BATCH, 'jobs', ns));
  const pods = useWatch(collection(CORE, 'pods', ns));
  const [text, setText] = useState('');
  const [state, setState] = useState('');
  const [podText, setPodText] = useState('');
  const [podState, setPodState] = useState('');
  const jobRows = jobs.items.filter((j) => matches(j, text) && (!state || jobStatus(j) === state)).sort(byAge).map((j) => [
    <a href={link('jobs', j.metadata.namespace!, j.metadata.name)} data-job={j.metadata.name}>{j.metadata.name}</a>,
    ns ? '' : j.metadata.namespace ?? '',
    <Badge status={jobStatus(j)} />,
    `${j.status?.succeeded ?? 0}/${j.spec?.completions ?? 1}`,
    duration(j.status?.startTime, j.status?.completionTime),
    age(j.metadata.creationTimestamp),
  ]);
  const podRows = pods.items.filter((p) => matches(p, podText) && (!podState || podStatus(p) === podState)).sort(byAge).map((p) => [
    <a href={link('pods', p.metadata.namespace!, p.metadata.name)}>{p.metadata.name}</a>,
    ns ? '' : p.metadata.namespace ?? '',
    <Badge status={podStatus(p)} />,
    String((p.status?.containerStatuses ?? []).reduce((a: number, c: { restartCount?: number }) => a + (c.restartCount ?? 0), 0)),
    p.spec?.nodeName ?? '',
    age(p.metadata.creationTimestamp),
  ]);
  return (
    <div>
      <h1>Jobs and pods</h1>
      <Section title="Jobs">
        <Filter value={text} onInput={setText} states={['Pending', 'Running', 'Complete', 'Failed', 'Suspended']} state={state} onState={setState} />
        <Table head={['Name', 'Namespace', 'Status', 'Completions', 'Duration', 'Age']} rows={jobRows} empty={jobs.error ?? 'No jobs.'} />
      </Section>
      <Section title="Pods">
        <Filter value={podText} onInput={setPodText} states={['Pending', 'Running', 'Succeeded', 'Failed', 'OOMKilled', 'Error']} state={podState} onState={setPodState} />
        <Table head={['Name', 'Namespace', 'Status', 'Restarts', 'Node', 'Age']} rows={podRows} empty={pods.error ?? 'No pods.'} />
      </Section>
    </div>
  );
}

function useOne(path: string): { obj: Obj | undefined; loaded: boolean; error?: string } {
  const live = useWatch(path);
  return { obj: live.items[0], loaded: live.loaded, ...(live.error ? { error: live.error } : {}) };
}

/** One object watched by name (a field selector on its collection). */
export function oneObject(base: string, plural: string, namespace: string, name: string): string {
  return `${collection(base, plural, namespace)}?fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`;
}

export function JobDetail({ namespace, name }: { namespace: string; name: string }) {
  const { obj: job, loaded, error } = useOne(oneObject(BATCH, 'jobs', namespace, name));
  const pods = useWatch(`${collection(CORE, 'pods', namespace)}?labelSelector=${encodeURIComponent(`job-name=${name}`)}`);
  if (!job) return <p class="muted">{error ?? (loaded ? `Job ${namespace}/${name} is gone.` : 'Loading…')}</p>;
  const sorted = [...pods.items].sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
  const last = sorted[sorted.length - 1];
  return (
    <div>
      <h1>Job {namespace}/{name} <Badge status={jobStatus(job)} /></h1>
      <div class="toolbar"><button class="danger" onClick={() => remove(`${collection(BATCH, 'jobs', namespace)}/${encodeURIComponent(name)}`, `job ${name}`).then(() => (location.hash = '#/jobs'))}>Delete</button></div>
      <p>Succeeded {job.status?.succeeded ?? 0} · failed {job.status?.failed ?? 0} · active {job.status?.active ?? 0} · duration {duration(job.status?.startTime, job.status?.completionTime)}</p>
      <Section title="Conditions"><Conditions obj={job} /></Section>
      <Section title="Pods (every attempt)">
        <Table head={['Pod', 'Status', 'Started', 'Age']} rows={sorted.map((p) => [<a href={link('pods', namespace, p.metadata.name)}>{p.metadata.name}</a>, <Badge status={podStatus(p)} />, p.status?.startTime ?? '', age(p.metadata.creationTimestamp)])} empty="No pods yet." />
      </Section>
      {last && <Section title={`Log of ${last.metadata.name}`}><Log namespace={namespace} pod={last.metadata.name} /></Section>}
      <Section title="Events"><Events obj={{ ...job, kind: 'Job' }} /></Section>
      <Yaml obj={job} />
    </div>
  );
}

export function PodDetail({ namespace, name }: { namespace: string; name: string }) {
  const { obj: pod, loaded, error } = useOne(oneObject(CORE, 'pods', namespace, name));
  const [container, setContainer] = useState<string | undefined>(undefined);
  const [previous, setPrevious] = useState(false);
  if (!pod) return <p class="muted">{error ?? (loaded ? `Pod ${namespace}/${name} is gone.` : 'Loading…')}</p>;
  const containers: string[] = (pod.spec?.containers ?? []).map((c: { name: string }) => c.name);
  const chosen = container ?? containers[0];
  const statuses = (pod.status?.containerStatuses ?? []) as { name: string; restartCount?: number; state?: Record<string, { reason?: string; exitCode?: number; message?: string }> }[];
  return (
    <div>
      <h1>Pod {namespace}/{name} <Badge status={podStatus(pod)} /></h1>
      <div class="toolbar"><button class="danger" onClick={() => remove(`${collection(CORE, 'pods', namespace)}/${encodeURIComponent(name)}`, `pod ${name}`)}>Delete</button></div>
      <p>Node {pod.spec?.nodeName ?? '(not scheduled)'} · started {pod.status?.startTime ?? '—'} {pod.status?.message ? `· ${pod.status.message}` : ''}</p>
      <Section title="Containers">
        <Table head={['Container', 'State', 'Reason', 'Exit code', 'Restarts']} rows={statuses.map((s) => {
          const [state, detail] = Object.entries(s.state ?? {})[0] ?? ['unknown', {}];
          return [s.name, state, detail.reason ?? '', detail.exitCode === undefined ? '' : String(detail.exitCode), String(s.restartCount ?? 0)];
        })} empty="No container has started." />
      </Section>
      <Section title="Conditions"><Conditions obj={pod} /></Section>
      <Section title="Log">
        <div class="toolbar">
          {containers.length > 1 && <select value={chosen} onChange={(e) => setContainer((e.target as HTMLSelectElement).value)}>{containers.map((c) => <option>{c}</option>)}</select>}
          <label><input type="checkbox" checked={previous} onChange={(e) => setPrevious((e.target as HTMLInputElement).checked)} /> previous attempt</label>
        </div>
        <Log namespace={namespace} pod={name} {...(chosen ? { container: chosen } : {})} previous={previous} />
      </Section>
      <Section title="Events"><Events obj={{ ...pod, kind: 'Pod' }} /></Section>
      <Yaml obj={pod} />
    </div>
  );
}
