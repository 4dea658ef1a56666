/**
 * The workflow as a whole, before and around the template tree: its effective spec (merged over a
 * workflowTemplateRef), the global `{{workflow.*}}` scope, claims from volumeClaimTemplates, and
 * outputs with a globalName.
 */
import type { PersistentVolumeClaim, Volume } from '../../api/types.js';
import type { Scope } from './scope.js';
import { checkEnum, resolveParameterValue } from './inputs.js';
import { WorkflowError, type Operation, type TemplateScope } from './operation.js';
import type { Artifact, NodeStatus, Parameter, Template, WorkflowSpec } from './types.js';

/** The workflow's spec, merged over its workflowTemplateRef's (kept in status so later template edits don't change a running workflow). */
export function effectiveSpec(op: Operation): WorkflowSpec {
  const own = op.wf.spec ?? {};
  const ref = own.workflowTemplateRef;
  if (!ref) return own;
  let base = op.status.storedWorkflowTemplateSpec as WorkflowSpec | undefined;
  if (!base) {
    const found = ref.clusterScope ? op.input.templates.clusterWorkflowTemplate(ref.name ?? '') : op.input.templates.workflowTemplate(op.wf.metadata.namespace!, ref.name ?? '');
    if (!found?.spec) throw new WorkflowError(`${ref.clusterScope ? 'ClusterWorkflowTemplate' : 'WorkflowTemplate'} "${ref.name}" not found`);
    base = found.spec;
    op.status.storedWorkflowTemplateSpec = structuredClone(base) as never;
  }
  const { workflowTemplateRef: _ref, ...rest } = own;
  const params = new Map<string, Parameter>();
  for (const p of base.arguments?.parameters ?? []) params.set(p.name, p);
  for (const p of own.arguments?.parameters ?? []) params.set(p.name, { ...params.get(p.name), ...p });
  const artifacts = new Map<string, Artifact>();
  for (const a of [...(base.arguments?.artifacts ?? []), ...(own.arguments?.artifacts ?? [])]) artifacts.set(a.name, a);
  return { ...base, ...rest, arguments: { parameters: [...params.values()], artifacts: [...artifacts.values()] } };
}

export function localScope(op: Operation): TemplateScope {
  const ref = op.wf.spec?.workflowTemplateRef;
  return { kind: ref ? (ref.clusterScope ? 'cluster' : 'namespaced') : 'local', ...(ref?.name ? { name: ref.name } : {}), templates: op.spec.templates ?? [] };
}

export function globalScope(op: Operation): Scope {
  const m = op.wf.metadata;
  const s: Scope = new Map([
    ['workflow.name', op.wfName],
    ['workflow.namespace', m.namespace ?? ''],
    ['workflow.uid', m.uid ?? ''],
    ['workflow.serviceAccountName', op.spec.serviceAccountName ?? ''],
    ['workflow.mainEntrypoint', op.spec.entrypoint ?? ''],
    ['workflow.creationTimestamp', m.creationTimestamp ?? ''],
    ['workflow.priority', String(op.spec.priority ?? 0)],
  ]);
  for (const [k, v] of Object.entries(m.labels ?? {})) s.set(`workflow.labels.${k}`, v);
  for (const [k, v] of Object.entries(m.annotations ?? {})) s.set(`workflow.annotations.${k}`, v);
  const params: { name: string; value: string }[] = [];
  for (const p of op.spec.arguments?.parameters ?? []) {
    const value = resolveParameterValue(op, p, `spec.arguments.parameters.${p.name}`, undefined);
    if (value === undefined) throw new WorkflowError(`spec.arguments.parameters.${p.name}: a value is required (value, default or valueFrom)`);
    checkEnum(p, value, `spec.arguments.parameters.${p.name}`);
    s.set(`workflow.parameters.${p.name}`, value);
    params.push({ name: p.name, value });
  }
  s.set('workflow.parameters', JSON.stringify(params));
  for (const p of op.status.outputs?.parameters ?? []) if (p.value !== undefined) s.set(`workflow.outputs.parameters.${p.name}`, String(p.value));
  for (const a of op.status.outputs?.artifacts ?? []) s.set(`workflow.outputs.artifacts.${a.name}`, JSON.stringify(a));
  return s;
}

/** Workflow volumes, plus a claim per volumeClaimTemplate (asked for on the first pass only). */
export function setupClaims(op: Operation): void {
  for (const v of op.spec.volumes ?? []) op.volumes.push(v as Volume);
  const templates = op.spec.volumeClaimTemplates ?? [];
  if (templates.length === 0) return;
  const recorded: Volume[] = [];
  for (const t of templates) {
    const name = t.metadata?.name;
    if (!name) throw new WorkflowError('spec.volumeClaimTemplates[].metadata.name is required');
    const claimName = `${op.wfName}-${name}`;
    const vol: Volume = { name, persistentVolumeClaim: { claimName } };
    op.volumes.push(vol);
    recorded.push(vol);
  }
  if (!op.status.persistentVolumeClaims) {
    op.status.persistentVolumeClaims = recorded as never;
    for (const t of templates) {
      op.result.createClaims.push({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          name: `${op.wfName}-${t.metadata!.name}`,
          namespace: op.wf.metadata.namespace,
          labels: { ...(t.metadata?.labels ?? {}), 'workflows.argoproj.io/workflow': op.wfName },
          ownerReferences: [{ apiVersion: op.wf.apiVersion, kind: op.wf.kind, name: op.wfName, uid: op.wf.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        },
        spec: t.spec as PersistentVolumeClaim['spec'],
        // Local claims are directories, bound as soon as they exist (as the API server's admission does for applied claims).
        status: { phase: 'Bound', accessModes: t.spec?.accessModes, capacity: t.spec?.resources?.requests },
      } as PersistentVolumeClaim);
    }
  }
}

/** After a step with globalName outputs ends: status.outputs and the global scope take them at once. */
export function refreshGlobalOutputs(op: Operation): void {
  collectGlobalOutputs(op);
  for (const p of op.status.outputs?.parameters ?? []) if (p.value !== undefined) op.global.set(`workflow.outputs.parameters.${p.name}`, String(p.value));
  for (const a of op.status.outputs?.artifacts ?? []) op.global.set(`workflow.outputs.artifacts.${a.name}`, JSON.stringify(a));
}

/** status.outputs from every node's globalName outputs, the latest finished winning. */
export function collectGlobalOutputs(op: Operation): void {
  // Most workflows name no global output: then there is nothing to look for among the nodes.
  if (!mayHaveGlobalOutputs(op)) return;
  const params = new Map<string, string>();
  const artifacts = new Map<string, Record<string, unknown>>();
  // Only nodes with named outputs can hold a global one; the rest (most of a wide loop) need no sort.
  const nodes = Object.values(op.nodes)
    .filter((n) => n.outputs?.parameters?.length || n.outputs?.artifacts?.length)
    .sort((a, b) => String(a.finishedAt ?? '').localeCompare(String(b.finishedAt ?? '')));
  for (const n of nodes) {
    const tmpl = templateOfNode(op, n);
    for (const p of tmpl?.outputs?.parameters ?? []) {
      if (!p.globalName) continue;
      const v = n.outputs?.parameters?.find((x) => x.name === p.name)?.value;
      if (v !== undefined) params.set(p.globalName, String(v));
    }
    for (const a of tmpl?.outputs?.artifacts ?? []) {
      if (!a.globalName) continue;
      const v = n.outputs?.artifacts?.find((x) => x.name === a.name);
      if (v) artifacts.set(a.globalName, { ...v, name: a.globalName });
    }
  }
  if (params.size || artifacts.size) {
    op.status.outputs = {
      ...(params.size ? { parameters: [...params].map(([name, value]) => ({ name, value })) } : {}),
      ...(artifacts.size ? { artifacts: [...artifacts.values()] as never } : {}),
    };
  }
}

function templateOfNode(op: Operation, n: NodeStatus): Template | undefined {
  if (!n.templateName) return undefined;
  const scope = n.templateScope ?? 'local/';
  const [kind, name] = scope.split('/');
  const templates =
    kind === 'namespaced' && name && name !== op.wf.spec?.workflowTemplateRef?.name
      ? op.input.templates.workflowTemplate(op.wf.metadata.namespace!, name)?.spec?.templates
      : kind === 'cluster' && name && name !== op.wf.spec?.workflowTemplateRef?.name
        ? op.input.templates.clusterWorkflowTemplate(name)?.spec?.templates
        : op.spec.templates;
  return templates?.find((t) => t.name === n.templateName);
}

const globalNamesSeen = new WeakMap<object, boolean>();

/** Whether any template this workflow can run declares a globalName (templateRefs: assumed so). */
function mayHaveGlobalOutputs(op: Operation): boolean {
  let known = globalNamesSeen.get(op.spec);
  if (known === undefined) {
    const text = JSON.stringify(op.spec);
    known = text.includes('"globalName"') || text.includes('"templateRef"') || !!op.spec.workflowTemplateRef;
    globalNamesSeen.set(op.spec, known);
  }
  return known;
}
