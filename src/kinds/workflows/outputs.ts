/**
 * What finished nodes expose to what comes after them: `{{steps.X.*}}` / `{{tasks.X.*}}` (loops
 * aggregated into JSON lists), artifact references (`from`), and a steps or DAG template's own
 * outputs taken from its children's.
 */
import { substituteString, type Scope } from './scope.js';
import { isLooped } from './loops.js';
import { WorkflowError, type Operation } from './operation.js';
import type { Artifact, DAGTask, NodeStatus, Parameter, Template, WorkflowStep } from './types.js';

/** An artifact argument given `from`/`fromExpression`: the location it points at, under the argument's name. */
export function resolveArtifactArgument(a: Artifact, scope: Scope): Artifact {
  const from = a.from ?? (a.fromExpression ? `{{=${a.fromExpression}}}` : undefined);
  if (!from) return a;
  const v = substituteString(from, scope);
  if (v.startsWith('{{')) throw new WorkflowError(`artifact ${a.name}: cannot resolve ${from}`);
  const loc = JSON.parse(v) as Artifact;
  const { from: _f, fromExpression: _fe, ...rest } = a;
  return { ...loc, ...rest, name: a.name };
}

/** `steps.NAME.*` / `tasks.NAME.*` for the finished nodes of one group or dag, loops aggregated. */
export function stepScopeEntries(op: Operation, prefix: 'steps' | 'tasks', steps: readonly (WorkflowStep | DAGTask)[], parent: NodeStatus): [string, string][] {
  const out: [string, string][] = [];
  const children = (parent.children ?? []).map((id) => op.nodes[id]).filter((n): n is NodeStatus => !!n);
  for (const step of steps) {
    const name = step.name ?? '';
    if (!isLooped(step)) {
      const n = children.find((c) => c.displayName === name);
      if (n) out.push(...nodeScope(`${prefix}.${name}`, n));
      continue;
    }
    const mine = prefix === 'tasks' ? (op.node(`${parent.name}.${name}`)?.children ?? []).map((id) => op.nodes[id]!).filter(Boolean) : children.filter((c) => c.displayName?.startsWith(`${name}(`));
    const results: unknown[] = [];
    const paramsList: Record<string, string>[] = [];
    const byParam = new Map<string, string[]>();
    for (const c of mine) {
      const r = c.outputs?.result;
      if (r !== undefined) {
        try {
          results.push(JSON.parse(r));
        } catch {
          results.push(r);
        }
      }
      const ps: Record<string, string> = {};
      for (const p of c.outputs?.parameters ?? []) {
        ps[p.name] = String(p.value ?? '');
        byParam.set(p.name, [...(byParam.get(p.name) ?? []), String(p.value ?? '')]);
      }
      if (c.outputs?.parameters) paramsList.push(ps);
    }
    const group = prefix === 'tasks' ? op.node(`${parent.name}.${name}`) : undefined;
    if (group) out.push(...nodeScope(`${prefix}.${name}`, group).filter(([k]) => !k.includes('.outputs.')));
    out.push([`${prefix}.${name}.outputs.result`, JSON.stringify(results)]);
    out.push([`${prefix}.${name}.outputs.parameters`, JSON.stringify(paramsList)]);
    for (const [p, values] of byParam) out.push([`${prefix}.${name}.outputs.parameters.${p}`, JSON.stringify(values)]);
  }
  return out;
}

function nodeScope(prefix: string, n: NodeStatus): [string, string][] {
  const out: [string, string][] = [
    [`${prefix}.id`, n.id],
    [`${prefix}.status`, String(n.phase ?? '')],
    [`${prefix}.startedAt`, String(n.startedAt ?? '')],
    [`${prefix}.finishedAt`, String(n.finishedAt ?? '')],
  ];
  if (n.hostNodeName) out.push([`${prefix}.hostNodeName`, n.hostNodeName]);
  if (n.podIP) out.push([`${prefix}.ip`, n.podIP]);
  if (n.outputs?.exitCode !== undefined) out.push([`${prefix}.exitCode`, String(n.outputs.exitCode)]);
  if (n.outputs?.result !== undefined) out.push([`${prefix}.outputs.result`, n.outputs.result]);
  for (const p of n.outputs?.parameters ?? []) out.push([`${prefix}.outputs.parameters.${p.name}`, String(p.value ?? '')]);
  if (n.outputs?.parameters) out.push([`${prefix}.outputs.parameters`, JSON.stringify(Object.fromEntries(n.outputs.parameters.map((p) => [p.name, String(p.value ?? '')])))]);
  for (const a of n.outputs?.artifacts ?? []) out.push([`${prefix}.outputs.artifacts.${a.name}`, JSON.stringify(a)]);
  return out;
}

/** A steps or dag template's own outputs, from its children's; then the node succeeds (or errs on a missing artifact). */
export function setTemplateOutputs(op: Operation, node: NodeStatus, t: Template, scope: Scope): void {
  const outputs: NonNullable<NodeStatus['outputs']> = {};
  const params: Parameter[] = [];
  for (const p of t.outputs?.parameters ?? []) {
    const src = p.valueFrom?.parameter ?? (p.valueFrom?.expression ? `{{=${p.valueFrom.expression}}}` : undefined);
    let v = src ? substituteString(src, scope) : p.value !== undefined ? String(p.value) : undefined;
    if (v !== undefined && v.includes('{{') && p.valueFrom?.default !== undefined) v = String(p.valueFrom.default);
    if (v === undefined && p.valueFrom?.default !== undefined) v = String(p.valueFrom.default);
    if (v !== undefined) params.push({ name: p.name, value: v });
  }
  if (params.length) outputs.parameters = params;
  const arts: unknown[] = [];
  for (const a of t.outputs?.artifacts ?? []) {
    try {
      arts.push(resolveArtifactArgument(a, scope));
    } catch {
      if (!a.optional) {
        op.mark(node, 'Error', `outputs.artifacts.${a.name}: cannot resolve ${a.from ?? a.fromExpression}`);
        return;
      }
    }
  }
  if (arts.length) outputs.artifacts = arts as never;
  if (Object.keys(outputs).length) node.outputs = outputs;
  op.mark(node, 'Succeeded');
}
