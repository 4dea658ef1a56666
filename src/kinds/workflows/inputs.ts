/**
 * From a holder to a runnable template: resolving `template:`/`templateRef:`, templateDefaults
 * under it, and binding the caller's arguments to its inputs (parameters, their ConfigMap sources
 * and enums; artifacts).
 */
import { substituteString, type Scope } from './scope.js';
import { WorkflowError, type Holder, type Operation, type TemplateScope } from './operation.js';
import type { Arguments, Artifact, Parameter, Template } from './types.js';

export interface Resolved {
  template: Template;
  tscope: TemplateScope;
}

export interface Bound {
  /** The scope inside the template: global tags, inputs, output paths. */
  scope: Scope;
  inputs: Template['inputs'];
}

export function resolveParameterValue(op: Operation, p: Parameter, where: string, supplied: string | undefined): string | undefined {
  if (supplied !== undefined) return supplied;
  if (p.value !== undefined && p.value !== null) return String(p.value);
  const cm = p.valueFrom?.configMapKeyRef;
  if (cm) {
    const map = op.input.configMap(op.wf.metadata.namespace!, cm.name ?? '');
    const v = map?.data?.[cm.key];
    if (v !== undefined) return v;
    if (p.valueFrom?.default !== undefined) return String(p.valueFrom.default);
    if (cm.optional) return '';
    throw new WorkflowError(`${where}: ConfigMap "${cm.name}" has no key "${cm.key}"`);
  }
  if (p.default !== undefined) return String(p.default);
  if (p.valueFrom?.default !== undefined) return String(p.valueFrom.default);
  return undefined;
}

export function checkEnum(p: Parameter, value: string, where: string): void {
  if (p.enum && p.enum.length > 0 && !p.enum.map(String).includes(value)) {
    throw new WorkflowError(`${where}: value ${JSON.stringify(value)} is not one of ${p.enum.map((e) => JSON.stringify(String(e))).join(', ')}`);
  }
}

export function resolveTemplate(op: Operation, holder: Holder, tscope: TemplateScope): Resolved {
  if (holder.inline) return { template: { name: '', ...holder.inline }, tscope };
  if (holder.templateRef) {
    const ref = holder.templateRef;
    const owner = ref.clusterScope ? op.input.templates.clusterWorkflowTemplate(ref.name ?? '') : op.input.templates.workflowTemplate(op.wf.metadata.namespace!, ref.name ?? '');
    const kindName = ref.clusterScope ? 'ClusterWorkflowTemplate' : 'WorkflowTemplate';
    if (!owner) throw new WorkflowError(`${kindName} "${ref.name}" not found`);
    const templates = owner.spec?.templates ?? [];
    const t = templates.find((x) => x.name === ref.template);
    if (!t) throw new WorkflowError(`template "${ref.template}" not found in ${kindName} "${ref.name}"`);
    return { template: t, tscope: { kind: ref.clusterScope ? 'cluster' : 'namespaced', name: ref.name!, templates } };
  }
  const name = holder.template;
  const t = tscope.templates.find((x) => x.name === name);
  if (!t) throw new WorkflowError(`template "${name}" not found`);
  return { template: t, tscope };
}

/**
 * templateDefaults under a template, as a strategic merge: maps merge key by key, lists of named
 * items (env, volumeMounts, parameters) merge by name, anything else the template sets wins.
 */
function mergeDefaults(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (Array.isArray(base) && Array.isArray(over)) {
    const keyOf = (x: unknown): string | undefined => {
      if (x === null || typeof x !== 'object') return undefined;
      const r = x as Record<string, unknown>;
      return typeof r['name'] === 'string' ? r['name'] : typeof r['mountPath'] === 'string' ? r['mountPath'] : undefined;
    };
    if (![...base, ...over].every((x) => keyOf(x) !== undefined)) return over;
    const out = new Map<string, unknown>();
    for (const x of base) out.set(keyOf(x)!, x);
    for (const x of over) out.set(keyOf(x)!, mergeDefaults(out.get(keyOf(x)!), x));
    return [...out.values()];
  }
  if (base && over && typeof base === 'object' && typeof over === 'object' && !Array.isArray(base) && !Array.isArray(over)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over)) out[k] = mergeDefaults(out[k], v);
    return out;
  }
  return over;
}

/** templateDefaults, then the template's own fields over them. */
export function withDefaults(op: Operation, t: Template): Template {
  const d = op.spec.templateDefaults;
  if (!d) return t;
  const merged = mergeDefaults(d as Record<string, unknown>, t as Record<string, unknown>) as Record<string, unknown>;
  // A default container/script shape only applies to templates of that type.
  for (const k of ['container', 'script', 'steps', 'dag', 'suspend'] as const) if (!(k in t)) delete merged[k];
  return merged as Template;
}

/** Binds the caller's arguments to the template's inputs; returns the scope inside the template. */
export function bindInputs(op: Operation, t: Template, args: Arguments | undefined, outer: Scope, nodeName: string): Bound {
  const scope = new Map(op.global);
  // Workflow outputs set by earlier steps are visible everywhere.
  for (const [k, v] of outer) if (k.startsWith('workflow.')) scope.set(k, v);
  const globals = new Map(scope);
  const given = new Map((args?.parameters ?? []).map((p) => [p.name, p]));
  const params: Parameter[] = [];
  const all: Record<string, string> = {};
  for (const p of t.inputs?.parameters ?? []) {
    const arg = given.get(p.name);
    const argValue = arg ? (arg.value !== undefined && arg.value !== null ? String(arg.value) : resolveParameterValue(op, arg, `inputs.parameters.${p.name}`, undefined)) : undefined;
    let value = resolveParameterValue(op, p, `inputs.parameters.${p.name}`, argValue);
    // The template's own value or default is part of the template: Argo substitutes the global
    // tags in it (`{{=jsonpath(workflow.parameters.x, …)}}`) before the inputs are bound.
    if (argValue === undefined && value !== undefined && (p.value !== undefined || p.default !== undefined)) value = substituteString(value, globals);
    if (value === undefined) {
      if (p.valueFrom?.supplied !== undefined) continue;
      throw new WorkflowError(`inputs.parameters.${p.name} was not supplied (template "${t.name}", node ${nodeName})`);
    }
    checkEnum(p, value, `inputs.parameters.${p.name}`);
    scope.set(`inputs.parameters.${p.name}`, value);
    all[p.name] = value;
    params.push({ name: p.name, value });
  }
  scope.set('inputs.parameters', JSON.stringify(Object.entries(all).map(([name, value]) => ({ name, value }))));
  const givenArts = new Map((args?.artifacts ?? []).map((a) => [a.name, a]));
  const artifacts: Artifact[] = [];
  for (const a of t.inputs?.artifacts ?? []) {
    const arg = givenArts.get(a.name);
    const bound: Artifact = { ...a, ...(arg ?? {}), name: a.name, ...(a.path ? { path: a.path } : {}) };
    if (!arg && !a.raw && !a.http && !a.s3 && !a.from && !a.optional) throw new WorkflowError(`inputs.artifacts.${a.name} was not supplied (template "${t.name}")`);
    if (a.path) scope.set(`inputs.artifacts.${a.name}.path`, a.path);
    artifacts.push(bound);
  }
  for (const p of t.outputs?.parameters ?? []) if (p.valueFrom?.path) scope.set(`outputs.parameters.${p.name}.path`, p.valueFrom.path);
  for (const a of t.outputs?.artifacts ?? []) if (a.path) scope.set(`outputs.artifacts.${a.name}.path`, a.path);
  return { scope, inputs: { ...(params.length ? { parameters: params } : {}), ...(artifacts.length ? { artifacts } : {}) } };
}
