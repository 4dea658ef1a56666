/**
 * A suspend template: a node that waits for its `duration` (measured on the pass's clock) or, with
 * none, for the resume action, which marks it Succeeded and may supply its output parameters.
 */
import { substituteString, type Scope } from './scope.js';
import { parseDurationSeconds } from './steppod.js';
import type { ExecOptions, Operation, TemplateScope } from './operation.js';
import type { NodeStatus, Template } from './types.js';

export function executeSuspend(op: Operation, nodeName: string, t: Template, tscope: TemplateScope, scope: Scope, inputs: Template['inputs'], o: ExecOptions): NodeStatus | undefined {
  let node = op.node(nodeName);
  if (!node) {
    if (!op.canStart(o)) return undefined;
    node = op.initNode(nodeName, 'Suspend', o, t, tscope, 'Running');
    if (inputs && Object.keys(inputs).length) node.inputs = inputs;
  }
  if (op.deadlineExceeded || op.shutdown) {
    op.mark(node, 'Failed', op.stopMessage());
    return node;
  }
  const duration = t.suspend?.duration;
  if (duration !== undefined && node.startedAt) {
    const end = Date.parse(node.startedAt) + parseDurationSeconds(substituteString(String(duration), scope)) * 1000;
    if (op.now >= end) op.mark(node, 'Succeeded');
    else op.requeueIn(end - op.now);
  }
  if (node.phase === 'Succeeded') {
    // Output parameters a suspend node declares come from values supplied on resume, or their defaults.
    const supplied = node.outputs?.parameters;
    const params = (t.outputs?.parameters ?? []).map((p) => {
      const value = supplied?.find((x) => x.name === p.name)?.value;
      return { name: p.name, value: String(value ?? p.valueFrom?.default ?? p.value ?? '') };
    });
    if (params.length) node.outputs = { ...(node.outputs ?? {}), parameters: params };
  }
  return node;
}
