/**
 * A Pod node: ask for its pod (the controller stages the step's files and creates it), mirror the
 * pod's phase while it runs, and when it ends turn the outputs read from its staging directory
 * (handed in by the controller, or asked for in `collect`) into the node's outputs and phase.
 */
import { integerField } from './fields.js';
import type { Pod } from '../../api/types.js';
import { nodeId, podName } from './names.js';
import { substitute, substituteString, withEntries, type Scope } from './scope.js';
import { refreshGlobalOutputs } from './globals.js';
import type { CollectedOutputs } from './io.js';
import type { ExecOptions, Operation, TemplateScope } from './operation.js';
import type { NodeStatus, Parameter, Template } from './types.js';
import { WorkflowError } from './operation.js';
import { PodSpecPatchError, readPodSpecPatch, type PodSpecPatch } from './podspecpatch.js';

/** The workflow's and the template's podSpecPatch, substituted: read and checked now, so a bad one errs the step before its pod. */
function readPatches(templateName: string | undefined, texts: (string | undefined)[]): PodSpecPatch[] {
  const owner = `template "${templateName ?? ''}": `;
  let patches: PodSpecPatch[];
  try {
    patches = texts.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => readPodSpecPatch(owner, x));
  } catch (err) {
    if (err instanceof PodSpecPatchError) throw new WorkflowError(err.message);
    throw err;
  }
  for (const p of patches) for (const c of p.containers ?? []) if (c.name !== 'main') throw new WorkflowError(`${owner}podSpecPatch: containers: no container named "${c.name}" in the step's pod (its container is "main")`);
  return patches;
}

/** `daemon: true` (Argo takes the string too). */
function isDaemonTemplate(t: Template): boolean {
  return (t.daemon as unknown) === true || (t.daemon as unknown) === 'true';
}

export function executePod(op: Operation, nodeName: string, t: Template, tscope: TemplateScope, scope: Scope, inputs: Template['inputs'], o: ExecOptions): NodeStatus | undefined {
  let node = op.node(nodeName);
  const name = podName(op.wfName, t.name ?? '', nodeName);
  const pod = op.input.pods.get(name);
  if (!node) {
    if (!op.canStart(o)) return undefined;
    const limit = op.spec.parallelism;
    if (limit !== undefined && op.activePods >= limit) return undefined;
    node = op.initNode(nodeName, 'Pod', o, t, tscope);
    if (inputs && Object.keys(inputs).length) node.inputs = inputs;
  }
  const id = nodeId(op.wfName, nodeName);
  if (!pod) {
    if (op.creating.has(name)) return node;
    if (node.phase === 'Running') {
      op.mark(node, 'Error', 'pod deleted');
      return node;
    }
    if (!op.canStart(o)) {
      if (op.deadlineExceeded || op.shutdown) op.mark(node, 'Failed', op.stopMessage());
      return node;
    }
    // Staging for the pod an earlier pass asked for failed (a missing input artifact): the step errs.
    const stagingError = op.input.stepErrors?.get(id);
    if (stagingError !== undefined) {
      op.mark(node, 'Error', stagingError);
      return node;
    }
    const processed = substitute(t, withEntries(scope, [['pod.name', name]]));
    // The pod's own deadline, substituted above: a value that is no number errs the step (Argo does too).
    integerField(t.name, 'activeDeadlineSeconds', processed.activeDeadlineSeconds as string | number | undefined, scope);
    const podSpecPatches = readPatches(t.name, [op.spec.podSpecPatch === undefined ? undefined : substituteString(op.spec.podSpecPatch, scope), processed.podSpecPatch]);
    op.result.startPods.push({ podName: name, nodeId: id, nodeName, template: processed, inputs: inputs ?? {}, volumes: op.volumes, captureResult: o.captureResult !== false, ...(podSpecPatches.length ? { podSpecPatches } : {}) });
    op.creating.add(name);
    op.activePods++;
    return node;
  }
  // Mirror the pod.
  if (pod.spec?.nodeName) node.hostNodeName = pod.spec.nodeName;
  const phase = pod.status?.phase;
  if (op.deadlineExceeded && !o.isExitHandler && phase !== 'Succeeded' && phase !== 'Failed') {
    op.killNode(node, 'Step exceeded its deadline');
    return node;
  }
  if (op.shutdown && !o.isExitHandler && phase !== 'Succeeded' && phase !== 'Failed') {
    op.killNode(node, `Stopped with strategy '${op.shutdown}'`);
    return node;
  }
  if (phase === 'Pending') {
    // Why it waits ("0/1 nodes are available: 1 Insufficient cpu.") is worth showing until it runs.
    const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    if (unschedulable?.message) node.message = unschedulable.message;
  } else if (node.phase === 'Pending') {
    delete node.message;
    if (phase === 'Running') op.mark(node, 'Running');
  }
  // A daemon is up once its pod runs and is ready (its readiness probe, if any, passed): the
  // steps after it go on, and reach it at {{steps.NAME.ip}}.
  if (phase === 'Running' && isDaemonTemplate(t)) {
    if (!node.daemoned && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
      node.daemoned = true;
      if (pod.status?.podIP) node.podIP = pod.status.podIP;
    }
    if (node.daemoned) op.daemons.add(node.id);
  }
  if (phase !== 'Succeeded' && phase !== 'Failed') return node;
  const processed = substitute(t, withEntries(scope, [['pod.name', name]]));
  // Its outputs could not be read or saved (the artifact repository refused them): the step errs.
  const readError = op.input.stepErrors?.get(id);
  if (readError !== undefined) {
    op.mark(node, 'Error', readError);
    return node;
  }
  const collected = op.input.outputs?.get(id);
  if (!collected) {
    // Its outputs were not read before this pass: the controller reads them and passes again.
    op.result.collect.push({ nodeId: id, podName: name, template: processed });
    return node;
  }
  finishPod(op, node, pod, processed, scope, collected);
  return node;
}

/** The node's outputs and final phase from its ended pod and what the step left behind. */
function finishPod(op: Operation, node: NodeStatus, pod: Pod, processed: Template, scope: Scope, collected: CollectedOutputs): void {
  const phase = pod.status?.phase;
  const term = pod.status?.containerStatuses?.[0]?.state?.terminated;
  const outputs: NonNullable<NodeStatus['outputs']> = {};
  if (term?.exitCode !== undefined) outputs.exitCode = String(term.exitCode);
  if (collected.result !== undefined) outputs.result = collected.result;
  const params: Parameter[] = [];
  let outputError: string | undefined;
  for (const p of processed.outputs?.parameters ?? []) {
    let v = collected.parameters.get(p.name);
    if (v === undefined && p.valueFrom?.expression) v = substituteString(`{{=${p.valueFrom.expression}}}`, scope);
    if (v === undefined && p.valueFrom?.default !== undefined) v = String(p.valueFrom.default);
    if (v === undefined && p.value !== undefined) v = String(p.value);
    if (v === undefined) {
      outputError ??= `outputs.parameters.${p.name}: ${p.valueFrom?.path ? `open ${p.valueFrom.path}: no such file or directory` : 'no value'}`;
      continue;
    }
    params.push({ name: p.name, value: v });
  }
  if (params.length) outputs.parameters = params;
  const arts: Record<string, unknown>[] = [];
  for (const a of processed.outputs?.artifacts ?? []) {
    const saved = collected.artifacts.get(a.name);
    if (saved) arts.push(saved);
    else if (!a.optional && phase === 'Succeeded') outputError ??= `outputs.artifacts.${a.name}: path ${a.path} does not exist`;
  }
  // archiveLogs: the containers' logs, which the template does not declare (`main-logs`).
  for (const [name, saved] of collected.artifacts) if (name.endsWith('-logs') && !processed.outputs?.artifacts?.some((a) => a.name === name)) arts.push(saved);
  if (arts.length) outputs.artifacts = arts as never;
  node.outputs = outputs;
  if (phase === 'Succeeded') {
    if (outputError) op.mark(node, 'Error', outputError);
    else op.mark(node, 'Succeeded');
  } else {
    const reason = pod.status?.reason === 'DeadlineExceeded' ? undefined : term?.reason;
    // A command that could not start says why (a step without a wrapper runs its command directly).
    const exited = (t: { reason?: string; exitCode: number; message?: string }) => (t.reason === 'ContainerCannotRun' && t.message ? t.message : `${t.reason === 'OOMKilled' ? 'OOMKilled' : 'Error'} (exit code ${t.exitCode})`);
    // The step never ran when one of its init containers failed: that one is named.
    const init = pod.status?.initContainerStatuses?.find((s) => s.state?.terminated && s.state.terminated.exitCode !== 0);
    const message =
      pod.status?.reason === 'DeadlineExceeded'
        ? 'Pod was active on the node longer than the specified deadline'
        : term
          ? exited({ exitCode: term.exitCode, ...(reason ? { reason } : {}), ...(term.message ? { message: term.message } : {}) })
          : init
            ? `init container ${init.name}: ${exited(init.state!.terminated!)}`
            : (pod.status?.message ?? 'pod failed');
    op.mark(node, 'Failed', message);
  }
  if (processed.outputs?.parameters?.some((p) => p.globalName) || processed.outputs?.artifacts?.some((a) => a.globalName)) refreshGlobalOutputs(op);
  if (term?.startedAt) node.startedAt = term.startedAt;
  if (term?.finishedAt) node.finishedAt = term.finishedAt;
  op.activePods = Math.max(0, op.activePods - 1);
}
