/**
 * What the Argo Workflows end-to-end suites (test/workflows-*.e2e.test.ts) share: a real `drover up`
 * server per test file (useWorkflowServer), `drover create -f` of inline manifests, polling for
 * phases and nodes, the workflow actions, and claims the steps write timestamps onto.
 *
 * Assertions are on what Argo users look at — the workflow's and nodes' phases, node outputs, the
 * order and overlap of steps, pod counts — and follow upstream Argo's semantics. Manifests are
 * written inline into a temporary directory (the steps' working directory), so a failing test
 * shows the whole workflow it ran. Steps use the host userland: sh, date, python3.
 */
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Drover, sleep } from './drover.js';

// ---- types (only what the assertions read) ----------------------------------------------------

export interface Param {
  name: string;
  value?: string;
}
export interface ArtifactRecord {
  name: string;
  key?: string;
  path?: string;
  archive?: unknown;
  [k: string]: unknown;
}
export interface WfNode {
  id: string;
  name: string;
  displayName: string;
  type: string;
  phase: string;
  message?: string;
  daemoned?: boolean;
  podIP?: string;
  templateName?: string;
  boundaryID?: string;
  children?: string[];
  startedAt?: string;
  finishedAt?: string;
  inputs?: { parameters?: Param[]; artifacts?: ArtifactRecord[] };
  outputs?: { result?: string; exitCode?: string; parameters?: Param[]; artifacts?: ArtifactRecord[] };
}
export interface Wf {
  metadata: { name: string; uid: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: {
    phase?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
    nodes?: Record<string, WfNode>;
    outputs?: { parameters?: Param[] };
    conditions?: { type: string; status: string }[];
  };
}
export interface Pod {
  metadata: { name: string; uid: string; annotations?: Record<string, string> };
  status?: { phase?: string };
}

// ---- harness ---------------------------------------------------------------------------------

/** The suite's server and its manifest directory, set by useWorkflowServer's before hook. */
export let d: Drover;
export let dir: string;
export const NS = 'default';
export const WF_API = '/apis/argoproj.io/v1alpha1';

/** One server for the calling test file, started before its first test and stopped after its last. */
export function useWorkflowServer(): void {
  before(async () => {
    d = await Drover.start({ cpus: '2', memory: '8Gi' });
    dir = mkdtempSync(join(tmpdir(), 'drover-wf-e2e-'));
    // Steps start in the manifest's directory as uid 65534: it must be readable (mkdtemp makes 0700).
    chmodSync(dir, 0o755);
  });
  after(async () => {
    await d?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}

/** A claim to share files between steps and with the test; it must exist before pods mount it. */
export const pvc = (name: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: ${name} }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
---
`;

/** Writes the manifest into the suite's directory and creates it with `drover create -f`. */
export async function create(file: string, yaml: string): Promise<string> {
  const path = join(dir, file);
  writeFileSync(path, yaml);
  await d.ok(['create', '-f', path]);
  return path;
}

export async function getWf(name: string): Promise<Wf | undefined> {
  const res = await d.api(`${WF_API}/namespaces/${NS}/workflows/${name}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`GET workflow ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Wf;
}

export function summary(wf: Wf | undefined): string {
  if (!wf) return '(no workflow)';
  const nodes = Object.values(wf.status?.nodes ?? {})
    .map((n) => `  ${n.displayName} ${n.type} ${n.phase}${n.message ? ` (${n.message})` : ''}`)
    .join('\n');
  return `phase=${wf.status?.phase} message=${wf.status?.message ?? ''}\n${nodes}`;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, describe?: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe ? `\n${await describe()}` : ''}\nserver:\n${d.logs.slice(-3000)}`);
    await sleep(40);
  }
}

export const DONE = new Set(['Succeeded', 'Failed', 'Error']);

/** Polls until the workflow has a final phase, then returns it as `drover get workflow NAME -o json` prints it. */
export async function waitDone(name: string, timeoutMs = 20_000): Promise<Wf> {
  await waitFor(`workflow ${name} to finish`, async () => DONE.has((await getWf(name))?.status?.phase ?? ''), timeoutMs, async () => summary(await getWf(name)));
  return d.json<Wf>(['get', 'workflow', name]);
}

/** Polls until a node with that display name exists (and matches `pred`). */
export async function waitNode(name: string, displayName: string, pred: (n: WfNode) => boolean = () => true, timeoutMs = 10_000): Promise<WfNode> {
  return waitFor(
    `node ${displayName} of ${name}`,
    async () => {
      const wf = await getWf(name);
      return Object.values(wf?.status?.nodes ?? {}).find((n) => n.displayName === displayName && pred(n));
    },
    timeoutMs,
    async () => summary(await getWf(name)),
  );
}

export function allNodes(wf: Wf): WfNode[] {
  return Object.values(wf.status?.nodes ?? {});
}

/** The one node with that display name. */
export function node(wf: Wf, displayName: string): WfNode {
  const found = allNodes(wf).filter((n) => n.displayName === displayName);
  assert.equal(found.length, 1, `one node named ${displayName}; workflow:\n${summary(wf)}`);
  return found[0]!;
}

export function maybeNode(wf: Wf, displayName: string): WfNode | undefined {
  return allNodes(wf).find((n) => n.displayName === displayName);
}

export function param(n: WfNode, name: string): string | undefined {
  return n.outputs?.parameters?.find((p) => p.name === name)?.value;
}

export function childrenOf(wf: Wf, n: WfNode): WfNode[] {
  return (n.children ?? []).map((id) => wf.status!.nodes![id]!).filter(Boolean);
}

export async function podsOf(name: string): Promise<Pod[]> {
  return (await d.json<{ items: Pod[] }>(['get', 'pods', '-l', `workflows.argoproj.io/workflow=${name}`])).items;
}

/**
 * What a step printed: its pod's log, one trailing newline dropped. Argo keeps a step's stdout as
 * `outputs.result` only where its steps or DAG template names it; what the others printed is here.
 */
export async function printed(wf: Wf, displayName: string, server: Drover = d): Promise<string> {
  const n = node(wf, displayName);
  const pods = (await server.json<{ items: Pod[] }>(['get', 'pods', '-l', `workflows.argoproj.io/workflow=${wf.metadata.name}`])).items;
  const pod = pods.find((p) => p.metadata.annotations?.['workflows.argoproj.io/node-id'] === n.id);
  assert.ok(pod, `no pod for step ${displayName}`);
  const res = await server.api(`/api/v1/namespaces/${NS}/pods/${pod.metadata.name}/log?container=main`);
  assert.equal(res.status, 200, `log of ${pod.metadata.name}`);
  return (await res.text()).replace(/\n$/, '');
}

/** `PUT …/workflows/NAME/ACTION` as `argo retry|resubmit|suspend|resume|stop|terminate` send it. */
export async function action(name: string, act: string, body: Record<string, unknown> = {}): Promise<{ status: number; json: Wf & { message?: string } }> {
  const res = await d.api(`${WF_API}/namespaces/${NS}/workflows/${name}/${act}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Wf & { message?: string } };
}

export async function mustAction(name: string, act: string, body: Record<string, unknown> = {}): Promise<Wf> {
  const r = await action(name, act, body);
  assert.ok(r.status >= 200 && r.status < 300, `${act} ${name}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

export const claimPath = (claim: string, file: string) => join(d.home, 'claims', NS, claim, file);
export const claimLines = (claim: string, file: string): string[] => {
  const p = claimPath(claim, file);
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : [];
};

export interface Span {
  start: number;
  end: number;
}
/** `<time> start|end <name>` lines that steps append to `log` on a claim. */
export function spans(claim: string): Map<string, Span> {
  const out = new Map<string, Span>();
  for (const line of claimLines(claim, 'log')) {
    const [t, what, name] = line.split(' ') as [string, string, string];
    const s = out.get(name) ?? { start: NaN, end: NaN };
    if (what === 'start') s.start = Number(t);
    else if (what === 'end') s.end = Number(t);
    out.set(name, s);
  }
  return out;
}

export function maxOverlap(list: Span[]): number {
  const events = list.flatMap((s) => [
    { t: s.start, d: 1 },
    { t: s.end, d: -1 },
  ]);
  // Ends before starts at the same instant: touching is not overlapping.
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let cur = 0;
  let max = 0;
  for (const e of events) {
    cur += e.d;
    max = Math.max(max, cur);
  }
  return max;
}

/** A template that logs its start and end on the claim mounted at /c, sleeps, and prints its message. */
export const LOG_TEMPLATE = `
    - name: log
      inputs:
        parameters:
          - name: msg
          - name: sleep
            default: "0"
      container:
        image: alpine
        command: [sh, -c]
        args:
          - |
            echo "$(date +%s.%N) start {{inputs.parameters.msg}}" >> /c/log
            sleep {{inputs.parameters.sleep}}
            echo "$(date +%s.%N) end {{inputs.parameters.msg}}" >> /c/log
            echo {{inputs.parameters.msg}}
        volumeMounts: [{ name: c, mountPath: /c }]`;

export const claimVolume = (claim: string) => `
  volumes: [{ name: c, persistentVolumeClaim: { claimName: ${claim} } }]`;

export const ECHO_TEMPLATE = `
    - name: echo
      inputs: { parameters: [{ name: m }] }
      container:
        image: alpine
        command: [echo, "{{inputs.parameters.m}}"]`;
