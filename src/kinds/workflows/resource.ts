/**
 * A resource template: one action on an object in the workflow's namespace (get, create, apply,
 * replace, patch, delete), then, for get/create/apply/replace, a wait until the object meets its
 * successCondition or failureCondition. Argo runs this in a pod with kubectl; Drover's controller
 * does it in-process through validation and admission as for a user's request, so a template can
 * do no more than its author could.
 *
 * The pass decides (this file, pure): it asks for the action (`PassResult.resources`) and, given
 * what the controller found (`PassInput.resources`), judges the conditions and sets the outputs.
 * A node whose outcome the controller lost (a restart) asks again: a create finds the object it
 * made by its node label instead of making another.
 */
import { selectorParts } from '../../api/selectors.js';
import { gjsonGet } from '../../util/gjson.js';
import { queryJSONPath } from './expr/jsonpath.js';
import { substitute, type Scope } from './scope.js';
import { WorkflowError, type ExecOptions, type Operation, type TemplateScope } from './operation.js';
import type { NodeStatus, Parameter, Template } from './types.js';
import { isFulfilledPhase } from './types.js';
import { RESOURCE_ACTIONS, type MergeStrategy, type ResourceAction, type ResourceRequest } from './io.js';

const DONE: Record<ResourceAction, string> = { get: 'found', create: 'created', apply: 'configured', replace: 'replaced', patch: 'patched', delete: 'deleted' };

/** How often a waiting node's object is read again. */
export const RESOURCE_POLL_MS = 1000;

/**
 * Argo's success and failure conditions: comma-separated requirements in Kubernetes' selector
 * grammar whose keys are paths into the object (`status.succeeded > 2`, `status.phase in
 * (Failed, Error)`, `status.phase == Succeeded`, `metadata.name`, `!status.active`).
 */
export interface Requirement {
  key: string;
  op: '==' | '!=' | '>' | '<' | 'in' | 'notin' | 'exists' | '!exists';
  values: string[];
}

export function parseCondition(text: string): Requirement[] {
  const out: Requirement[] = [];
  for (const raw of selectorParts(text)) {
    const p = raw.trim();
    if (!p) continue;
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^(\S+?)\s+(in|notin)\s*\((.*)\)$/))) out.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()).filter(Boolean) });
    else if ((m = p.match(/^(\S+?)\s*(==|!=|=|>|<)\s*(.*)$/))) out.push({ key: m[1]!, op: m[2] === '=' ? '==' : (m[2] as Requirement['op']), values: [m[3]!.trim()] });
    else if ((m = p.match(/^!\s*(\S+)$/))) out.push({ key: m[1]!, op: '!exists', values: [] });
    else if (/^\S+$/.test(p)) out.push({ key: p, op: 'exists', values: [] });
    else throw new WorkflowError(`cannot parse the condition ${JSON.stringify(p)}: expected KEY OP VALUE (==, !=, >, <, in (…), notin (…)), KEY or !KEY`);
    const r = out[out.length - 1]!;
    if ((r.op === '>' || r.op === '<') && !Number.isFinite(Number(r.values[0]))) throw new WorkflowError(`cannot parse the condition ${JSON.stringify(p)}: ${r.op} needs a number`);
  }
  return out;
}

function asText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Whether every requirement holds for the object. */
export function conditionMet(reqs: readonly Requirement[], obj: unknown): boolean {
  return reqs.every((r) => {
    const v = asText(gjsonGet(obj, r.key));
    switch (r.op) {
      case 'exists':
        return v !== undefined;
      case '!exists':
        return v === undefined;
      case '==':
        return v === r.values[0];
      case '!=':
        return v !== r.values[0];
      case 'in':
        return v !== undefined && r.values.includes(v);
      case 'notin':
        return v === undefined || !r.values.includes(v);
      case '>':
      case '<': {
        const n = Number(v);
        if (v === undefined || !Number.isFinite(n)) return false;
        return r.op === '>' ? n > Number(r.values[0]) : n < Number(r.values[0]);
      }
    }
  });
}

/** kubectl's `-o jsonpath` template: each `{…}` replaced by what it finds, the rest kept. */
export function jsonPathTemplate(obj: unknown, template: string): string {
  return template.replace(/\{([^{}]*)\}/g, (_m, expr: string) => {
    const e = expr.trim();
    const path = e.startsWith('$') ? e : `$${e.startsWith('.') || e.startsWith('[') ? '' : '.'}${e}`;
    const v = queryJSONPath(obj, path);
    const list = Array.isArray(v) && !Array.isArray(queryJSONPath(obj, path.replace(/\[\*\]|\.\*/g, '[0]'))) ? v : [v];
    return list.map((x) => asText(x) ?? '').join(' ');
  });
}

/** A jq filter, the part Argo's examples use: `.` (the whole object, compact) or a path `.a.b`. */
export function jqFilter(obj: unknown, filter: string): string {
  const f = filter.trim();
  if (f === '.') return JSON.stringify(obj);
  if (/^(\.[A-Za-z_][\w-]*)+$/.test(f)) return asText(gjsonGet(obj, f.slice(1))) ?? 'null';
  throw new WorkflowError(`jqFilter ${JSON.stringify(filter)}: only "." and paths such as ".metadata.name" are supported; use jsonPath for more`);
}

/**
 * flags as Argo passes them to kubectl: `[KIND, NAME]` names the object, `[KIND, --selector, SEL]`
 * (`-l`) the objects a delete takes; `--ignore-not-found` for a delete.
 */
function readFlags(flags: readonly string[]): { target?: ResourceRequest['target']; ignoreNotFound: boolean } {
  const words: string[] = [];
  let ignoreNotFound = false;
  let selector: string | undefined;
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    if (f === '--ignore-not-found' || f === '--ignore-not-found=true') ignoreNotFound = true;
    else if (f === '--selector' || f === '-l') selector = flags[++i] ?? '';
    else if (f.startsWith('--selector=')) selector = f.slice('--selector='.length);
    else if (f.startsWith('-')) throw new WorkflowError(`resource flag ${JSON.stringify(f)} is not supported (only KIND NAME, --selector and --ignore-not-found)`);
    else words.push(f);
  }
  if (selector !== undefined) {
    if (words.length !== 1) throw new WorkflowError(`resource flags ${JSON.stringify(flags)}: --selector needs one KIND`);
    return { target: { kind: words[0]!, selector }, ignoreNotFound };
  }
  if (words.length === 0) return { ignoreNotFound };
  if (words.length === 2) return { target: { kind: words[0]!, name: words[1]! }, ignoreNotFound };
  if (words.length === 1 && words[0]!.includes('/')) {
    const [kind, name] = words[0]!.split('/');
    return { target: { kind: kind!, name: name! }, ignoreNotFound };
  }
  throw new WorkflowError(`resource flags ${JSON.stringify(flags)}: expected KIND NAME (or KIND/NAME)`);
}

/** A resource node; it holds a place of the workflow's `parallelism` while it runs, as Argo's pod for it would. */
export function executeResource(op: Operation, nodeName: string, t: Template, tscope: TemplateScope, scope: Scope, inputs: Template['inputs'], o: ExecOptions): NodeStatus | undefined {
  const node = resourceNode(op, nodeName, t, tscope, scope, inputs, o);
  if (node && isFulfilledPhase(node.phase) && op.activeResources.delete(node.id)) op.activePods = Math.max(0, op.activePods - 1);
  return node;
}

function resourceNode(op: Operation, nodeName: string, t: Template, tscope: TemplateScope, scope: Scope, inputs: Template['inputs'], o: ExecOptions): NodeStatus | undefined {
  let node = op.node(nodeName);
  if (!node) {
    if (!op.canStart(o) || op.atPodLimit()) return undefined;
    node = op.initNode(nodeName, 'Pod', o, t, tscope);
    if (inputs && Object.keys(inputs).length) node.inputs = inputs;
    op.activeResources.add(node.id);
    op.activePods++;
  }
  if (op.deadlineExceeded && !o.isExitHandler) {
    op.mark(node, 'Failed', 'Step exceeded its deadline');
    return node;
  }
  if (op.shutdown && !o.isExitHandler) {
    op.mark(node, 'Failed', `Stopped with strategy '${op.shutdown}'`);
    return node;
  }
  const processed = substitute(t, scope);
  const r = processed.resource!;
  if ([r.manifest ?? '', ...((r.flags ?? []) as string[])].some((x) => x.includes('{{pod.name}}'))) {
    throw new WorkflowError(`{{pod.name}}: template "${t.name ?? ''}" is a resource step, which Drover runs in its controller, not in a pod of its own`);
  }
  const action = r.action as ResourceAction;
  if (!RESOURCE_ACTIONS.includes(action)) throw new WorkflowError(`resource.action ${JSON.stringify(r.action)}: expected one of ${RESOURCE_ACTIONS.join(', ')}`);
  if (!r.manifest && !(action === 'delete' || action === 'get' || action === 'patch')) throw new WorkflowError(`resource.manifest is required for ${action}`);
  const success = r.successCondition ? parseCondition(r.successCondition) : undefined;
  const failure = r.failureCondition ? parseCondition(r.failureCondition) : undefined;
  const { target, ignoreNotFound } = readFlags((r.flags ?? []) as string[]);
  if (target && 'selector' in target && action !== 'delete') throw new WorkflowError(`resource flags: --selector is supported for delete only, not ${action}`);
  const id = node.id;
  const outcome = op.input.resources?.get(id);
  const request: ResourceRequest = { nodeId: id, action, manifest: r.manifest ?? '', mergeStrategy: (r.mergeStrategy as MergeStrategy | undefined) ?? 'strategic', ...(target ? { target } : {}), ignoreNotFound, setOwnerReference: r.setOwnerReference === true };
  if (!outcome) {
    // Not done yet, or done by a controller that has since restarted: asked (again).
    op.result.resources.push(request);
    if (node.phase === 'Pending') op.mark(node, 'Running');
    return node;
  }
  if ('error' in outcome) {
    op.mark(node, 'Failed', outcome.error);
    return node;
  }
  const obj = outcome.object;
  const waits = (action === 'get' || action === 'create' || action === 'apply' || action === 'replace') && (success || failure);
  if (obj && waits) {
    if (failure && conditionMet(failure, obj)) {
      op.mark(node, 'Failed', `failure condition met: ${r.failureCondition}`);
      return node;
    }
    if (!success || !conditionMet(success, obj)) {
      const meta = obj['metadata'] as { name?: string } | undefined;
      op.result.resources.push({ ...request, action: 'get', afterMs: RESOURCE_POLL_MS, ref: { apiVersion: String(obj['apiVersion']), kind: String(obj['kind']), name: meta?.name ?? '' } });
      if (node.phase === 'Pending') op.mark(node, 'Running');
      return node;
    }
  }
  const params: Parameter[] = [];
  for (const p of processed.outputs?.parameters ?? []) {
    let v: string | undefined;
    if (p.valueFrom?.jsonPath) v = obj ? jsonPathTemplate(obj, p.valueFrom.jsonPath) : undefined;
    else if (p.valueFrom?.jqFilter) v = obj ? jqFilter(obj, p.valueFrom.jqFilter) : undefined;
    if (v === undefined && p.valueFrom?.default !== undefined) v = String(p.valueFrom.default);
    if (v === undefined) {
      op.mark(node, 'Error', `outputs.parameters.${p.name}: no value (the ${action} left no object to read)`);
      return node;
    }
    params.push({ name: p.name, value: v });
  }
  if (params.length) node.outputs = { ...(node.outputs ?? {}), parameters: params };
  // As kubectl says it: `job/train-x7k2p created`.
  const name = (obj?.['metadata'] as { name?: string } | undefined)?.name;
  op.mark(node, 'Succeeded', name ? `${String(obj!['kind']).toLowerCase()}/${name} ${DONE[action]}` : undefined);
  return node;
}
