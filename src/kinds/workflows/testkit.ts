/**
 * A workflow driven pass by pass without a server: the tests' stand-in for the controller. Pods
 * are data the test sets (what the runtime would report), step outputs are kept in memory, and
 * the clock is `sim.now`, moved by the test. Used by the *.test.ts files beside it.
 */
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { Pod } from '../../api/types.js';
import { runPass } from './pass.js';
import type { PassInput, PassResult } from './operation.js';
import type { CollectedOutputs } from './io.js';
import { buildStepPod } from './steppod.js';
import { afterFinish, podsToCollect } from './gc.js';
import type { NodeStatus, Workflow } from './types.js';

export interface StepRun {
  exitCode?: number;
  stdout?: string;
  params?: Record<string, string>;
  /** The pod's own end, as the runtime reports a pod over its activeDeadlineSeconds. */
  reason?: 'DeadlineExceeded';
}

export const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A pass's input from `sim`'s workflow and pods alone (no outputs, no memo), with `extra` on top: for tests that call runPass themselves. */
export function passInput(sim: Sim, extra: Partial<PassInput> = {}): PassInput {
  return { now: sim.now, pods: sim.pods, templates: { workflowTemplate: () => undefined, clusterWorkflowTemplate: () => undefined }, configMap: () => undefined, ...extra };
}

export class Sim {
  readonly pods = new Map<string, Pod>();
  /** What each step left behind, by node id; handed to the pass as the controller reads it. */
  readonly outputs = new Map<string, CollectedOutputs>();
  readonly started: string[] = [];
  /** Every pod ever created, by name, in order. */
  readonly created: string[] = [];
  now = T0;
  maxRunning = 0;
  readonly configMaps = new Map<string, Record<string, string>>();
  /** Hand in outputs only when the pass asks for them (as after a controller restart). */
  readOnRequest = false;
  lastResult: PassResult | undefined;
  wf: Workflow;

  constructor(yaml: string) {
    const doc = parse(yaml) as Workflow;
    this.wf = { ...doc, metadata: { name: 'wf', namespace: 'default', uid: 'uid-1', ...(doc.metadata ?? {}) } };
    this.wf.metadata.name = 'wf';
  }

  /** Check at each pass that no node was changed in place (off in the pass benchmark: it stringifies every node). */
  checkNodes = true;
  /** Each node object's JSON when first seen (see pass). */
  private readonly nodeJson = new WeakMap<object, string>();

  /** Hand each pass the previous one's memo (PassInput.memo), as the controller does. */
  useMemo = true;
  /** The last pass's memo, with the status it goes with (as the controller keeps it by resourceVersion). */
  private memo: { status: unknown; memo: PassResult['memo'] } | undefined;

  private input(outputs: ReadonlyMap<string, CollectedOutputs>): PassInput {
    return {
      ...(this.useMemo && this.memo && this.memo.status === this.wf.status ? { memo: this.memo.memo } : {}),
      now: this.now,
      pods: this.pods,
      templates: { workflowTemplate: () => undefined, clusterWorkflowTemplate: () => undefined },
      configMap: (_ns, name) => (this.configMaps.has(name) ? ({ data: this.configMaps.get(name)! } as never) : undefined),
      outputs,
    };
  }

  /** One pass, applied as the controller applies it: outputs read first, status, then pods. */
  pass(): PassResult {
    let r = runPass(this.wf, this.input(this.readOnRequest ? new Map() : this.outputs));
    if (r.collect.length) {
      const asked = new Map(r.collect.map((c) => [c.nodeId, this.outputs.get(c.nodeId) ?? { parameters: new Map(), artifacts: new Map() }]));
      r = runPass(this.wf, this.input(asked));
    }
    for (const w of r.cacheWrites) this.configMaps.set(w.configMap, { ...(this.configMaps.get(w.configMap) ?? {}), [w.key]: w.value });
    // The store writes only the nodes a pass replaced (it compares them by identity with the
    // stored status's): every pass of every test checks that a node object seen before still
    // reads as it did then, so a node changed in place would show here.
    if (this.checkNodes) for (const [id, node] of Object.entries(r.status.nodes ?? {})) {
      const json = JSON.stringify(node);
      const seen = this.nodeJson.get(node);
      if (seen === undefined) this.nodeJson.set(node, json);
      else assert.equal(json, seen, `node ${id} was changed in place, not replaced`);
    }
    this.wf = { ...this.wf, status: r.status };
    this.memo = { status: r.status, memo: r.memo };
    for (const plan of r.startPods) {
      if (this.pods.has(plan.podName)) throw new Error(`pod ${plan.podName} created twice`);
      const pod = buildStepPod({ wf: this.wf, template: plan.template, podName: plan.podName, nodeId: plan.nodeId, nodeName: plan.nodeName, stagingDir: `/staging/${plan.nodeId}`, inputArtifacts: [], volumes: plan.volumes, ...(plan.podSpecPatches ? { podSpecPatches: plan.podSpecPatches } : {}) });
      this.pods.set(plan.podName, { ...pod, status: { phase: 'Pending' } });
      this.created.push(plan.podName);
    }
    for (const name of r.deletePods) this.pods.delete(name);
    const done = this.wf.status?.phase === 'Succeeded' || this.wf.status?.phase === 'Failed' || this.wf.status?.phase === 'Error';
    if (!done) for (const name of podsToCollect(this.wf, r.status, this.pods)) this.pods.delete(name);
    this.lastResult = r;
    return r;
  }

  /** After the end, as the controller does on each pass over a finished workflow. */
  afterFinish(): ReturnType<typeof afterFinish> {
    const r = afterFinish(this.wf, this.pods, this.now);
    for (const name of r.deletePods) this.pods.delete(name);
    return r;
  }

  /** Ends the pod of the node named `nodeName` as `outcome` says. */
  end(nodeName: string, outcome: StepRun = {}): void {
    const pod = [...this.pods.values()].find((p) => p.metadata!.annotations!['workflows.argoproj.io/node-name'] === nodeName);
    if (!pod) throw new Error(`no pod for ${nodeName}: ${[...this.pods.keys()].join(', ')}`);
    this.endPod(pod, outcome);
  }

  private endPod(pod: Pod, outcome: StepRun): void {
    const nodeName = pod.metadata!.annotations!['workflows.argoproj.io/node-name']!;
    this.started.push(nodeName);
    const id = pod.metadata!.annotations!['workflows.argoproj.io/node-id']!;
    this.outputs.set(id, { parameters: new Map(Object.entries(outcome.params ?? {})), ...(outcome.stdout !== undefined ? { result: outcome.stdout } : {}), artifacts: new Map() });
    if (outcome.reason === 'DeadlineExceeded') {
      pod.status = { phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' };
      return;
    }
    const exitCode = outcome.exitCode ?? 0;
    pod.status = {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      containerStatuses: [{ name: 'main', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } } }],
    };
  }

  /** Pods that have not ended. */
  running(): Pod[] {
    return [...this.pods.values()].filter((p) => p.status?.phase === 'Pending' || p.status?.phase === 'Running');
  }

  /** Runs passes until the workflow ends, finishing each pod as `behave` says (undefined: still running). */
  run(behave: (nodeName: string, pod: Pod) => StepRun | undefined, opts: { tick?: number } = {}): Workflow['status'] {
    for (let i = 0; i < 200; i++) {
      this.pass();
      const phase = this.wf.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Error') return this.wf.status;
      const running = this.running();
      this.maxRunning = Math.max(this.maxRunning, running.length);
      for (const pod of running) {
        const outcome = behave(pod.metadata!.annotations!['workflows.argoproj.io/node-name']!, pod);
        if (!outcome) {
          pod.status = { phase: 'Running' };
          continue;
        }
        this.endPod(pod, outcome);
      }
      this.now += opts.tick ?? 1000;
    }
    throw new Error(`workflow did not finish: ${JSON.stringify(this.wf.status, null, 1)}`);
  }

  node(displayName: string): NodeStatus {
    const n = this.maybeNode(displayName);
    if (!n) throw new Error(`no node ${displayName}: ${Object.values(this.wf.status?.nodes ?? {}).map((x) => x.displayName).join(', ')}`);
    return n;
  }

  maybeNode(displayName: string): NodeStatus | undefined {
    return Object.values(this.wf.status?.nodes ?? {}).find((x) => x.displayName === displayName);
  }

  /** The command line a pod was given (after the wrapper's own arguments). */
  static argv(pod: Pod): string[] {
    const cmd = pod.spec!.containers[0]!.command!;
    return cmd.slice(cmd.indexOf('drover-step') + 1);
  }
}
