/**
 * Any kind the server serves, through one generic view: the kinds from API discovery, a live list
 * of the chosen one, and an object's conditions, events and YAML. Kinds without a page of their
 * own (PyTorchJobs, CronWorkflows, Profiles, ConfigMaps…) are seen here.
 */
import { useEffect, useState } from 'preact/hooks';
import { getJson, type Obj } from '../api.js';
import { age } from '../format.js';
import { useWatch } from '../hooks.js';
import { Badge, Conditions, Events, Section, Table, Yaml, link } from '../parts.js';
import { oneObject, remove } from './jobs.js';

interface Resource {
  /** `/api/v1` or `/apis/GROUP/VERSION`. */
  base: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

interface ResourceList {
  resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[];
}

/** Every listable, watchable kind the server's discovery names. */
async function discover(): Promise<Resource[]> {
  // Every version of a group: one group may serve different kinds in each (kubeflow.org: Profiles
  // in v1, Experiments in v1beta1).
  const groups = await getJson<{ groups: { name: string; versions: { groupVersion: string }[] }[] }>('/apis');
  const bases = ['/api/v1', ...groups.groups.flatMap((g) => g.versions.map((v) => `/apis/${v.groupVersion}`))];
  const lists = await Promise.all(bases.map((b) => getJson<ResourceList>(b).then((l) => ({ b, l }), () => undefined)));
  const out: Resource[] = [];
  for (const entry of lists) {
    if (!entry) continue;
    for (const r of entry.l.resources) {
      if (r.name.includes('/') || !r.verbs.includes('list') || !r.verbs.includes('watch')) continue;
      out.push({ base: entry.b, plural: r.name, kind: r.kind, namespaced: r.namespaced });
    }
  }
  return out.sort((a, b) => a.kind.localeCompare(b.kind));
}

/** The route's name for a kind: `batch.v1.jobs`-like, from its base path and plural. */
const idOf = (r: Resource) => `${r.base.replace(/^\/apis?\//, '').replace(/\//g, '.')}.${r.plural}`;

/** Discovery is asked once per page load: the kinds served do not change while a server runs. */
let discovered: Promise<Resource[]> | undefined;
let known: Resource[] | undefined;

function useKinds(): Resource[] | undefined {
  const [kinds, setKinds] = useState<Resource[] | undefined>(known);
  useEffect(() => {
    discovered ??= discover().then((k) => (known = k), () => ((discovered = undefined), []));
    void discovered.then(setKinds);
  }, []);
  return kinds;
}

const conditionOf = (o: Obj) => {
  const c = ((o.status?.conditions ?? []) as { type: string; status: string }[]).filter((x) => x.status === 'True');
  return o.status?.phase ?? c[c.length - 1]?.type ?? '';
};

function List({ r, ns }: { r: Resource; ns: string }) {
  const path = r.namespaced && ns ? `${r.base}/namespaces/${encodeURIComponent(ns)}/${r.plural}` : `${r.base}/${r.plural}`;
  const live = useWatch(path);
  const rows = [...live.items].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)).map((o) => {
    const status = conditionOf(o);
    return [
      <a href={link('kinds', idOf(r), o.metadata.namespace ?? '-', o.metadata.name)}>{o.metadata.name}</a>,
      r.namespaced ? o.metadata.namespace ?? '' : '',
      status ? <Badge status={status} /> : '',
      age(o.metadata.creationTimestamp),
    ];
  });
  return <Table head={['Name', 'Namespace', 'Status', 'Age']} rows={rows} empty={live.error ?? `No ${r.plural}.`} />;
}

export function KindsPage({ ns, kind }: { ns: string; kind: string }) {
  const kinds = useKinds();
  if (!kinds) return <p class="muted">Loading…</p>;
  const chosen = kinds.find((k) => idOf(k) === kind);
  return (
    <div>
      <h1>All kinds</h1>
      <div class="toolbar">
        <select data-testid="kind" value={kind} onChange={(e) => (location.hash = link('kinds', (e.target as HTMLSelectElement).value))}>
          <option value="">choose a kind</option>
          {kinds.map((k) => <option value={idOf(k)}>{k.kind} ({idOf(k)})</option>)}
        </select>
      </div>
      {chosen && <List r={chosen} ns={ns} />}
    </div>
  );
}

export function KindObject({ kind, namespace, name }: { kind: string; namespace: string; name: string }) {
  const kinds = useKinds();
  const r = kinds?.find((k) => idOf(k) === kind);
  const path = r ? oneObject(r.base, r.plural, r.namespaced ? namespace : '', name) : undefined;
  const live = useWatch(path);
  const obj = live.items[0];
  if (!r || !obj) return <p class="muted">{live.error ?? (live.loaded ? `${kind} ${name} is gone.` : 'Loading…')}</p>;
  const self = r.namespaced ? `${r.base}/namespaces/${encodeURIComponent(namespace)}/${r.plural}/${encodeURIComponent(name)}` : `${r.base}/${r.plural}/${encodeURIComponent(name)}`;
  return (
    <div>
      <h1>{r.kind} {r.namespaced ? `${namespace}/` : ''}{name} {conditionOf(obj) && <Badge status={conditionOf(obj)} />}</h1>
      <div class="toolbar"><button class="danger" onClick={() => remove(self, `${r.kind} ${name}`).then(() => (location.hash = link('kinds', kind)))}>Delete</button></div>
      <Section title="Conditions"><Conditions obj={obj} /></Section>
      {r.namespaced && <Section title="Events"><Events obj={{ ...obj, kind: r.kind }} /></Section>}
      <Yaml obj={obj} />
    </div>
  );
}
