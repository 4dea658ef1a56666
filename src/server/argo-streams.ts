/**
 * The Argo Server's streams, which the `argo` CLI reads in its HTTP mode as server-sent events
 * (each message a `data: {"result": …}` line and a blank line): workflow events
 * (`GET /api/v1/workflow-events/{ns}`: `argo submit --wait`, `argo watch`) and a workflow's logs
 * (`GET /api/v1/workflows/{ns}/{name}/log` and `…/{name}/{pod}/log`: `argo logs [-f]`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError } from '../api/errors.js';
import { parseSelector } from '../api/selectors.js';
import type { KubeObject, Pod, Stored } from '../api/types.js';
import type { PodRuntime } from '../runtime/types.js';
import type { Store } from '../store/index.js';

export interface ArgoStreamDeps {
  store: Store;
  runtime: PodRuntime;
}

const WORKFLOW = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow' };

/** Serves `path` if it is one of the streams; false when it is not. */
export async function argoStream(deps: ArgoStreamDeps, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<boolean> {
  if (req.method !== 'GET') return false;
  let m = /^\/api\/v1\/workflow-events\/([^/]+)$/.exec(path);
  if (m) {
    await workflowEvents(deps, req, res, decodeURIComponent(m[1]!), query);
    return true;
  }
  m = /^\/api\/v1\/workflows\/([^/]+)\/([^/]+)(?:\/([^/]+))?\/log$/.exec(path);
  if (m) {
    await workflowLogs(deps, req, res, decodeURIComponent(m[1]!), decodeURIComponent(m[2]!), m[3] ? decodeURIComponent(m[3]) : query.get('podName') || undefined, query);
    return true;
  }
  return false;
}

function startEvents(res: ServerResponse): (result: unknown) => Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  return async (result) => {
    if (!res.write(`data: ${JSON.stringify({ result })}\n\n`)) await new Promise((ok) => res.once('drain', ok));
  };
}

/** `metadata.name=x` from a field selector (the only field the CLI selects on). */
function selectedName(query: URLSearchParams): string | undefined {
  const selector = query.get('listOptions.fieldSelector') ?? '';
  return /(?:^|,)metadata\.name=([^,]+)/.exec(selector)?.[1];
}

async function workflowEvents(deps: ArgoStreamDeps, req: IncomingMessage, res: ServerResponse, namespace: string, query: URLSearchParams): Promise<void> {
  const name = selectedName(query);
  const matches = (o: KubeObject) => o.metadata.namespace === namespace && (name === undefined || o.metadata.name === name);
  const send = startEvents(res);
  // The current objects first (as ADDED), then every change after the version they were read at.
  const current = await deps.store.list(WORKFLOW, { namespace });
  let chain = Promise.resolve();
  const stop = deps.store.watch(WORKFLOW, { namespace, fromResourceVersion: current.resourceVersion }, (e) => {
    if (!matches(e.object)) return;
    chain = chain.then(() => send({ type: e.type, object: e.object })).catch(() => undefined);
  });
  req.on('close', stop);
  for (const o of current.items) if (matches(o)) await send({ type: 'ADDED', object: o });
}

async function workflowLogs(deps: ArgoStreamDeps, req: IncomingMessage, res: ServerResponse, namespace: string, workflow: string, podName: string | undefined, query: URLSearchParams): Promise<void> {
  if (!(await deps.store.get({ ...WORKFLOW, namespace, name: workflow }))) throw new NotFoundError('workflows.argoproj.io', workflow, namespace);
  const follow = query.get('logOptions.follow') === 'true';
  const container = query.get('logOptions.container') || 'main';
  const grep = query.get('grep') || undefined;
  const abort = new AbortController();
  req.on('close', () => abort.abort());
  const send = startEvents(res);
  const done = new Set<string>();
  const ofWorkflow = async () =>
    (await deps.store.list<Stored<Pod>>({ apiVersion: 'v1', kind: 'Pod' }, { namespace, labelSelector: parseSelector(`workflows.argoproj.io/workflow=${workflow}`) })).items.filter(
      (p) => (podName === undefined || p.metadata.name === podName) && !done.has(p.metadata.uid!) && p.spec?.containers.some((c) => c.name === container),
    );
  const started = (pod: Pod) => pod.status?.containerStatuses?.some((s) => s.name === container && (s.state?.running || s.state?.terminated)) === true;
  // Pods in the order they were made (the workflow's step order); with follow, new ones as they come.
  for (;;) {
    const pods = (await ofWorkflow()).sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
    for (const pod of pods) {
      if (abort.signal.aborted) return void res.end();
      if (!started(pod)) {
        if (follow) continue; // looked at again on the next round
        done.add(pod.metadata.uid!);
        continue;
      }
      done.add(pod.metadata.uid!);
      let partial = '';
      try {
        for await (const chunk of deps.runtime.logs(pod, { container, follow, signal: abort.signal })) {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop()!;
          for (const content of lines) if (!grep || content.includes(grep)) await send({ content, podName: pod.metadata.name });
        }
      } catch {
        // A pod whose log is gone (deleted by podGC) has nothing more to say.
      }
      if (partial && (!grep || partial.includes(grep))) await send({ content: partial, podName: pod.metadata.name });
    }
    if (!follow || abort.signal.aborted) break;
    const wf = await deps.store.get<KubeObject & { status?: { phase?: string } }>({ ...WORKFLOW, namespace, name: workflow });
    const finished = !wf || ['Succeeded', 'Failed', 'Error'].includes(wf.status?.phase ?? '');
    // Once the workflow has ended, a pod that never started has nothing to say.
    if (finished && !(await ofWorkflow()).some(started)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  res.end();
}
