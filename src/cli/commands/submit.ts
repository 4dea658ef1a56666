import { UsageError, type ParsedArgs } from '../args.js';
import { ApiError, type ApplyDocument, type Client } from '../client.js';
import { clientFor, namespaceOf, type Command } from '../command.js';
import { CliError, type Ctx } from '../context.js';
import { readManifests } from '../manifests.js';
import { resolveKind } from '../resources.js';
import { ANNOTATIONS, type KubeObject } from '../../api/types.js';
import { declaredParameters, overrideWorkflowObject, overrideWorkflowText, templateRefsIn, type SubmitOverrides } from '../workflows/overrides.js';
import { collectParameters, PARAMETER_FLAGS } from '../workflows/params.js';
import { parseSubmitFormat, reportWorkflows, type ReportOptions, type WorkflowRef } from '../workflows/output.js';

export const command: Command = {
  name: 'submit',
  usage: 'drover submit (FILE... | --from KIND/NAME) [-p NAME=VALUE]... [--watch | --wait] [-o name|json|yaml|wide] [options]',
  summary: 'Submit Argo Workflows from files, templates or cron workflows',
  description: `Submit Argo Workflows, as "argo submit" does: each Workflow in the files is created (with its
generateName, a fresh name each time) and its summary printed.

-p NAME=VALUE sets a parameter the workflow declares (in spec.arguments.parameters, or as an
input of its entrypoint template, or in the WorkflowTemplate it references); an undeclared name is
an error that lists the declared ones. The files are edited in place before they are sent, so the
line numbers of errors the server reports still point into your files.

--wait waits for the workflows to complete and exits 1 if one did not succeed; with -o json|yaml
it prints the final Workflow, with -o name its name. --watch shows the workflow's tree, redrawn
as it runs on a terminal (elsewhere, printed once when it completes), and also exits 1 when it did
not succeed. --from submits a Workflow that runs a WorkflowTemplate, a ClusterWorkflowTemplate or
a CronWorkflow's workflowSpec.`,
  examples: `
  # Submit and follow the steps as they run
  drover submit examples/pipeline.yaml --watch

  # Override a parameter, wait, and print the finished Workflow
  drover submit hello.yaml -p message=goodbye --wait -o json

  # Just the name, for scripts
  name=$(drover submit hello.yaml -o name)

  # Run a WorkflowTemplate or a CronWorkflow now
  drover submit --from workflowtemplate/train -p lr=0.01
  drover submit --from cronworkflow/nightly --wait`,
  flags: [
    ...PARAMETER_FLAGS,
    { name: 'parameter-file', type: 'string', value: 'FILE', description: 'A YAML or JSON file of NAME: VALUE parameters; -p wins over it.' },
    { name: 'from', type: 'string', value: 'KIND/NAME', description: 'Submit from workflowtemplate/NAME, clusterworkflowtemplate/NAME or cronworkflow/NAME instead of files.' },
    { name: 'name', type: 'string', value: 'NAME', description: 'Override metadata.name (replaces generateName).' },
    { name: 'generate-name', type: 'string', value: 'PREFIX', description: 'Override metadata.generateName (replaces name).' },
    { name: 'entrypoint', type: 'string', value: 'TEMPLATE', description: 'Override spec.entrypoint.' },
    { name: 'serviceaccount', type: 'string', value: 'NAME', description: 'Override spec.serviceAccountName.' },
    { name: 'watch', short: 'w', type: 'boolean', description: 'Show the workflow\'s tree until it completes; exit 1 if it did not succeed.' },
    { name: 'wait', type: 'boolean', description: 'Wait for the workflows to complete; exit 1 if one did not succeed.' },
    { name: 'output', short: 'o', type: 'string', value: 'FORMAT', description: 'Output format: name, json, yaml or wide.' },
  ],
  run,
};

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  const format = parseSubmitFormat(args.string('output'));
  if (!format) throw new UsageError(`unknown output format "${args.string('output')}": use name, json, yaml or wide`, 'submit');
  const watch = args.bool('watch');
  const wait = args.bool('wait');
  if (watch && wait) throw new UsageError('--watch and --wait cannot be used together', 'submit');
  if (watch && format !== 'table' && format !== 'wide') throw new UsageError(`--watch draws a tree and cannot be combined with -o ${format} (use --wait)`, 'submit');
  if (args.string('name') && args.string('generate-name')) throw new UsageError('--name and --generate-name cannot be used together', 'submit');
  const from = args.string('from');
  if (from && args.positionals.length) throw new UsageError('--from cannot be combined with files', 'submit');
  if (!from && args.positionals.length === 0) throw new UsageError('a Workflow file (or --from KIND/NAME) is required', 'submit');

  const overrides: SubmitOverrides = { parameters: await collectParameters(ctx, args, 'submit') };
  for (const [flag, key] of [['name', 'name'], ['generate-name', 'generateName'], ['entrypoint', 'entrypoint'], ['serviceaccount', 'serviceAccount']] as const) {
    const v = args.string(flag);
    if (v) overrides[key] = v;
  }
  const namespace = namespaceOf(args);
  const client = clientFor(ctx, args);
  try {
    const docs = from ? [await fromSource(ctx, client, namespace, from, overrides)] : await fromFiles(ctx, client, namespace, args.positionals, overrides);
    const result = await client.apply(namespace, docs, 'create');
    for (const w of result.warnings ?? []) ctx.stderr.write(`Warning: ${w}\n`);
    const refs: WorkflowRef[] = (result.results ?? []).filter((r) => r.kind === 'Workflow').map((r) => ({ namespace: r.namespace ?? namespace, name: r.name }));
    if (refs.length === 0) throw new CliError('no workflows were submitted');
    const report: ReportOptions = { format, wait, watch };
    return await reportWorkflows(ctx, client, refs, report);
  } finally {
    client.close();
  }
}

async function fromFiles(ctx: Ctx, client: Client, namespace: string, files: string[], o: SubmitOverrides): Promise<ApplyDocument[]> {
  const docs = (await readManifests(ctx, files, false)).filter((d) => d.text.trim());
  if (docs.length === 0) throw new CliError('no workflows passed to submit');
  // The parameters of referenced templates, fetched before editing (only when -p needs them).
  const declared = new Map<string, string[] | undefined>();
  const key = (r: { name: string; clusterScope: boolean }) => `${r.clusterScope ? 'cluster/' : ''}${r.name}`;
  if (o.parameters?.length) {
    for (const d of docs) {
      for (const ref of safeRefs(d.text)) {
        if (!declared.has(key(ref))) declared.set(key(ref), await templateParameters(client, namespace, ref));
      }
    }
  }
  return docs.map((d) => ({ ...d, text: overrideWorkflowText(d.text, d.file, o, (ref) => declared.get(key(ref))) }));
}

function safeRefs(text: string): { name: string; clusterScope: boolean }[] {
  try {
    return templateRefsIn(text);
  } catch {
    return [];
  }
}

/** What a (Cluster)WorkflowTemplate declares; undefined when it cannot be read (the server will say why). */
async function templateParameters(client: Client, namespace: string, ref: { name: string; clusterScope: boolean }): Promise<string[] | undefined> {
  try {
    const t = await client.get(resolveKind(ref.clusterScope ? 'clusterworkflowtemplates' : 'workflowtemplates'), namespace, ref.name);
    return declaredParameters(t['spec']);
  } catch (err) {
    if (err instanceof ApiError) return undefined;
    throw err;
  }
}

/**
 * `--from workflowtemplate/NAME|clusterworkflowtemplate/NAME|cronworkflow/NAME`: the Workflow Argo
 * makes for it (NewWorkflowFromWorkflowTemplate, ConvertCronWorkflowToWorkflow).
 */
async function fromSource(ctx: Ctx, client: Client, namespace: string, from: string, o: SubmitOverrides): Promise<ApplyDocument> {
  const slash = from.indexOf('/');
  if (slash <= 0 || slash === from.length - 1) throw new UsageError(`--from must be KIND/NAME (e.g. workflowtemplate/train), got "${from}"`, 'submit');
  const kind = resolveKind(from.slice(0, slash));
  const name = from.slice(slash + 1);
  if (!['WorkflowTemplate', 'ClusterWorkflowTemplate', 'CronWorkflow'].includes(kind.kind)) {
    throw new UsageError(`--from takes workflowtemplate, clusterworkflowtemplate or cronworkflow, not ${kind.singular}`, 'submit');
  }
  const source = await client.get(kind, namespace, name);
  const sourceDir = source.metadata.annotations?.[ANNOTATIONS.sourceDir];
  const annotations: Record<string, string> = sourceDir ? { [ANNOTATIONS.sourceDir]: sourceDir } : {};
  let wf: { apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: Record<string, unknown> };
  let declared: string[] | undefined;
  if (kind.kind === 'CronWorkflow') {
    const spec = (source['spec'] ?? {}) as { workflowSpec?: Record<string, unknown>; workflowMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } };
    const workflowSpec = structuredClone(spec.workflowSpec ?? {});
    const meta = spec.workflowMetadata ?? {};
    wf = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: {
        generateName: `${name}-`,
        labels: { ...(meta.labels ?? {}), 'workflows.argoproj.io/cron-workflow': name },
        annotations: { ...(meta.annotations ?? {}), ...annotations, 'workflows.argoproj.io/scheduled-time': new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, 'Z') },
        ...(source.metadata.uid
          ? { ownerReferences: [{ apiVersion: source.apiVersion, kind: source.kind, name, uid: source.metadata.uid, controller: true, blockOwnerDeletion: true }] }
          : {}),
      },
      spec: workflowSpec,
    };
    declared = declaredParameters(workflowSpec, o.entrypoint);
    const ref = workflowSpec['workflowTemplateRef'] as { name?: unknown; clusterScope?: unknown } | undefined;
    if (ref && typeof ref.name === 'string') {
      const more = await templateParameters(client, namespace, { name: ref.name, clusterScope: ref.clusterScope === true });
      declared = more === undefined ? undefined : [...new Set([...declared, ...more])];
    }
  } else {
    const cluster = kind.kind === 'ClusterWorkflowTemplate';
    wf = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: {
        generateName: `${name}-`,
        labels: { [cluster ? 'workflows.argoproj.io/cluster-workflow-template' : 'workflows.argoproj.io/workflow-template']: name },
        annotations,
      },
      spec: { workflowTemplateRef: cluster ? { name, clusterScope: true } : { name } },
    };
    declared = declaredParameters(source['spec'], o.entrypoint);
  }
  overrideWorkflowObject(wf, o, declared, `${kind.singular} "${name}"`);
  return { file: `--from ${kind.singular}/${name}`, text: JSON.stringify(wf as unknown as KubeObject, null, 2) + '\n', sourceDir: sourceDir ?? ctx.cwd };
}
