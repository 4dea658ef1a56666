/**
 * Notebooks, as Kubeflow's Jupyter web app offers them: a launcher form (name, image, CPU,
 * memory, GPUs, a workspace volume, data volumes) that creates a workspace claim and a Notebook
 * through the same apply as `drover apply`, and a live list with each notebook's state, CONNECT,
 * stop/start (the `kubeflow-resource-stopped` annotation) and delete.
 *
 * CONNECT asks the server for a one-time ticket with the bearer token and opens the notebook's
 * URL with it in a new tab, without an opener (the notebook's page shares this origin and must
 * not reach this tab or its token): the server trades the ticket for a cookie scoped to that
 * notebook's path (src/server/notebook-proxy.ts).
 */
import { useState } from 'preact/hooks';
import { ApiError, collection, request, send, type Obj } from '../api.js';
import { age } from '../format.js';
import { useWatch } from '../hooks.js';
import { Badge, Section, Table } from '../parts.js';
import { remove } from './jobs.js';

const NOTEBOOKS = '/apis/kubeflow.org/v1';
const STOP = 'kubeflow-resource-stopped';

/** Kubeflow's example images; any name containing "jupyter" runs JupyterLab on Drover. */
export const IMAGES = [
  'kubeflownotebookswg/jupyter-scipy:v1.9.0',
  'kubeflownotebookswg/jupyter-pytorch-full:v1.9.0',
  'kubeflownotebookswg/jupyter-tensorflow-full:v1.9.0',
  'kubeflownotebookswg/jupyter-pytorch-cuda-full:v1.9.0',
];

/** The web app's words: stopped, ready, or why it is waiting. */
export function notebookStatus(nb: Obj): string {
  const stopped = nb.metadata.annotations?.[STOP] !== undefined;
  const ready = (nb.status?.readyReplicas ?? 0) > 0;
  if (stopped) return ready ? 'Stopping' : 'Stopped';
  if (ready) return 'Ready';
  const s = nb.status?.containerState ?? {};
  return s.waiting?.reason ?? s.terminated?.reason ?? 'Waiting';
}

/** Opens a notebook: a one-time ticket for its URL, in a tab that cannot reach this one. */
export async function connect(namespace: string, name: string): Promise<void> {
  const t = await send<{ url: string }>('POST', `/apis/drover.dev/v1/namespaces/${encodeURIComponent(namespace)}/notebooks/${encodeURIComponent(name)}/ticket`);
  window.open(t.url, '_blank', 'noopener,noreferrer');
}

async function setStopped(nb: Obj, stopped: boolean): Promise<void> {
  const path = `${collection(NOTEBOOKS, 'notebooks', nb.metadata.namespace!)}/${encodeURIComponent(nb.metadata.name)}`;
  try {
    await request(path, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { annotations: { [STOP]: stopped ? new Date().toISOString().replace(/\.\d+Z$/, 'Z') : null } } }),
    });
  } catch (err) {
    alert((err as Error).message);
  }
}

interface DataVolume {
  claim: string;
  mountPath: string;
}

export interface LaunchForm {
  name: string;
  image: string;
  cpu: string;
  memory: string;
  gpus: number;
  /** Gi; 0: no workspace volume. */
  workspaceGi: number;
  data: DataVolume[];
}

/** The claim and Notebook the form stands for, as the web app makes them. */
export function formObjects(f: LaunchForm, namespace: string): Obj[] {
  const workspace = `${f.name}-workspace`;
  const limits: Record<string, string> = { cpu: f.cpu, memory: f.memory };
  if (f.gpus > 0) limits['nvidia.com/gpu'] = String(f.gpus);
  const mounts = [
    ...(f.workspaceGi > 0 ? [{ name: 'workspace', mountPath: '/home/jovyan' }] : []),
    ...f.data.map((d, i) => ({ name: `data-${i}`, mountPath: d.mountPath })),
  ];
  const volumes = [
    ...(f.workspaceGi > 0 ? [{ name: 'workspace', persistentVolumeClaim: { claimName: workspace } }] : []),
    ...f.data.map((d, i) => ({ name: `data-${i}`, persistentVolumeClaim: { claimName: d.claim } })),
  ];
  const notebook: Obj = {
    apiVersion: 'kubeflow.org/v1',
    kind: 'Notebook',
    metadata: { name: f.name, namespace, labels: { app: f.name } },
    spec: {
      template: {
        spec: {
          containers: [{ name: f.name, image: f.image, resources: { requests: { cpu: f.cpu, memory: f.memory }, limits }, ...(mounts.length ? { volumeMounts: mounts } : {}) }],
          ...(volumes.length ? { volumes } : {}),
        },
      },
    },
  };
  const claim: Obj = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: workspace, namespace },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${f.workspaceGi}Gi` } } },
  };
  return f.workspaceGi > 0 ? [claim, notebook] : [notebook];
}

function Launcher({ namespace, onDone }: { namespace: string; onDone(): void }) {
  const [f, setF] = useState<LaunchForm>({ name: '', image: IMAGES[0]!, cpu: '0.5', memory: '1Gi', gpus: 0, workspaceGi: 5, data: [] });
  const [custom, setCustom] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof LaunchForm>(k: K, v: LaunchForm[K]) => setF((x) => ({ ...x, [k]: v }));
  const input = (e: Event) => (e.target as HTMLInputElement).value;
  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors([]);
    setBusy(true);
    try {
      const text = formObjects(f, namespace).map((o) => JSON.stringify(o, null, 2)).join('\n---\n');
      await request(`/apis/drover.dev/v1/namespaces/${encodeURIComponent(namespace)}/apply`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ documents: [{ file: 'notebook-form.yaml', text }], mode: 'create' }),
      });
      onDone();
    } catch (err) {
      setErrors(err instanceof ApiError && err.causes.length ? err.causes.map((c) => c.message) : [(err as Error).message]);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="launcher card" onSubmit={submit} data-testid="notebook-form">
      <h3>New notebook in {namespace}</h3>
      <label>Name <input name="name" required pattern="[a-z]([-a-z0-9]*[a-z0-9])?" value={f.name} onInput={(e) => set('name', input(e))} /></label>
      <label>Image{' '}
        <select name="image" value={custom ? '' : f.image} onChange={(e) => {
          const v = (e.target as HTMLSelectElement).value;
          setCustom(v === '');
          if (v) set('image', v);
        }}>
          {IMAGES.map((i) => <option value={i}>{i}</option>)}
          <option value="">custom image…</option>
        </select>
      </label>
      {custom && <label>Custom image <input name="custom-image" value={f.image} onInput={(e) => set('image', input(e))} /></label>}
      <p class="muted">An image whose name contains “jupyter” runs JupyterLab from Drover’s environment; another must say in its command what to run.</p>
      <label>CPU <input name="cpu" value={f.cpu} onInput={(e) => set('cpu', input(e))} /></label>
      <label>Memory <input name="memory" value={f.memory} onInput={(e) => set('memory', input(e))} /></label>
      <label>GPUs <input name="gpus" type="number" min="0" value={f.gpus} onInput={(e) => set('gpus', Number(input(e)))} /></label>
      <label>Workspace volume (Gi, 0 for none) <input name="workspace" type="number" min="0" value={f.workspaceGi} onInput={(e) => set('workspaceGi', Number(input(e)))} /></label>
      <div>
        Data volumes (existing claims){' '}
        <button type="button" onClick={() => set('data', [...f.data, { claim: '', mountPath: '/data' }])}>Add</button>
        {f.data.map((d, i) => (
          <div class="toolbar">
            <input placeholder="claim" value={d.claim} onInput={(e) => set('data', f.data.map((x, j) => (j === i ? { ...x, claim: input(e) } : x)))} />
            <input placeholder="mount path" value={d.mountPath} onInput={(e) => set('data', f.data.map((x, j) => (j === i ? { ...x, mountPath: input(e) } : x)))} />
            <button type="button" onClick={() => set('data', f.data.filter((_, j) => j !== i))}>Remove</button>
          </div>
        ))}
      </div>
      <div class="toolbar"><button type="submit" disabled={busy}>Launch</button></div>
      {errors.map((m) => <p class="error" data-testid="notebook-form-error">{m}</p>)}
    </form>
  );
}

export function NotebooksPage({ ns }: { ns: string }) {
  const list = useWatch(collection(NOTEBOOKS, 'notebooks', ns));
  const [creating, setCreating] = useState(false);
  const namespace = ns || 'default';
  const rows = [...list.items].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)).map((nb) => {
    const status = notebookStatus(nb);
    const stopped = nb.metadata.annotations?.[STOP] !== undefined;
    const c = nb.spec?.template?.spec?.containers?.[0] ?? {};
    const limits = c.resources?.limits ?? {};
    return [
      <span data-notebook={nb.metadata.name}>{nb.metadata.name}</span>,
      ns ? '' : nb.metadata.namespace ?? '',
      <Badge status={status} />,
      c.image ?? '',
      `${limits.cpu ?? c.resources?.requests?.cpu ?? ''} CPU · ${limits.memory ?? c.resources?.requests?.memory ?? ''}${limits['nvidia.com/gpu'] ? ` · ${limits['nvidia.com/gpu']} GPU` : ''}`,
      age(nb.metadata.creationTimestamp),
      <span class="toolbar">
        <button disabled={status !== 'Ready'} data-testid={`connect-${nb.metadata.name}`} onClick={() => connect(nb.metadata.namespace!, nb.metadata.name).catch((err: Error) => alert(err.message))}>CONNECT</button>
        <button onClick={() => setStopped(nb, !stopped)}>{stopped ? 'Start' : 'Stop'}</button>
        <button class="danger" onClick={() => remove(`${collection(NOTEBOOKS, 'notebooks', nb.metadata.namespace!)}/${encodeURIComponent(nb.metadata.name)}`, `notebook ${nb.metadata.name} (its workspace claim stays)`)}>Delete</button>
      </span>,
    ];
  });
  return (
    <div>
      <h1>Notebooks</h1>
      <div class="toolbar"><button onClick={() => setCreating(!creating)} data-testid="new-notebook">{creating ? 'Close the form' : 'New notebook'}</button></div>
      {creating && <Launcher namespace={namespace} onDone={() => setCreating(false)} />}
      <Section title="Notebook servers">
        <Table head={['Name', 'Namespace', 'Status', 'Image', 'Resources', 'Age', '']} rows={rows} empty={list.error ?? 'No notebooks.'} />
      </Section>
    </div>
  );
}
