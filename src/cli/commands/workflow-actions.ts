/**
 * `retry`, `resubmit`, `suspend`, `resume`, `stop` and `terminate`: Argo's workflow actions, each a
 * PUT on the workflow's action endpoint. Several names may be given; a name that fails prints the
 * server's error and the others still go ahead (exit code 1 at the end), as kubectl does.
 */
import { UsageError, type FlagSpec, type ParsedArgs } from '../args.js';
import { ApiError, type WorkflowAction, type WorkflowActionBody } from '../client.js';
import { clientFor, namespaceOf, printApiError, type Command } from '../command.js';
import type { Ctx } from '../context.js';
import { asWorkflow } from '../../kinds/workflows/cli/status.js';
import { parseSubmitFormat, reportWorkflows, type WorkflowRef } from '../workflows/output.js';
import { collectParameters, PARAMETER_FLAGS } from '../workflows/params.js';

const PAST: Record<WorkflowAction, string> = {
  retry: 'retried', resubmit: 'resubmitted', suspend: 'suspended', resume: 'resumed', stop: 'stopped', terminate: 'terminated',
};

const SELECTOR_FLAG: FlagSpec = {
  name: 'node-field-selector', type: 'string', value: 'SELECTOR',
  description: 'Which nodes, by field: displayName=NAME, templateName=NAME, phase=Failed, id=ID, name=NAME (comma-separated, != allowed).',
};
const WAIT_FLAGS: FlagSpec[] = [
  { name: 'wait', type: 'boolean', description: 'Wait for the workflow to complete; exit 1 if it did not succeed.' },
  { name: 'watch', short: 'w', type: 'boolean', description: 'Show the workflow\'s tree until it completes; exit 1 if it did not succeed.' },
  { name: 'output', short: 'o', type: 'string', value: 'FORMAT', description: 'Output format: name, json or yaml (the Workflow as the server answered, or when complete with --wait).' },
];

interface ActionSpec {
  action: WorkflowAction;
  summary: string;
  description: string;
  examples: string;
  flags: FlagSpec[];
  body(ctx: Ctx, args: ParsedArgs): Promise<WorkflowActionBody>;
  /** Waiting and output formats make sense: the workflow runs again. */
  runs?: boolean;
}

function makeCommand(spec: ActionSpec): Command {
  return {
    name: spec.action,
    usage: `drover ${spec.action} NAME... [options]`,
    summary: spec.summary,
    description: spec.description,
    examples: spec.examples,
    flags: spec.runs ? [...spec.flags, ...WAIT_FLAGS] : spec.flags,
    run: (ctx, args) => runAction(ctx, args, spec),
  };
}

async function runAction(ctx: Ctx, args: ParsedArgs, spec: ActionSpec): Promise<number> {
  const names = args.positionals.map((n) => n.replace(/^(workflows?|wf)(\.argoproj\.io)?\//, ''));
  if (names.length === 0) throw new UsageError(`the name of a workflow to ${spec.action} is required`, spec.action);
  const format = spec.runs ? parseSubmitFormat(args.string('output')) : 'table';
  if (!format) throw new UsageError(`unknown output format "${args.string('output')}": use name, json or yaml`, spec.action);
  const wait = spec.runs ? args.bool('wait') : false;
  const watch = spec.runs ? args.bool('watch') : false;
  if (wait && watch) throw new UsageError('--watch and --wait cannot be used together', spec.action);
  if (watch && format !== 'table' && format !== 'wide') throw new UsageError(`--watch draws a tree and cannot be combined with -o ${format} (use --wait)`, spec.action);
  const body = await spec.body(ctx, args);
  const namespace = namespaceOf(args);
  const client = clientFor(ctx, args);
  let failed = false;
  const started: WorkflowRef[] = [];
  try {
    for (const name of names) {
      let wf;
      try {
        wf = asWorkflow(await client.workflowAction(namespace, name, spec.action, body));
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        printApiError(ctx, err);
        failed = true;
        continue;
      }
      const ref = { namespace: wf.metadata?.namespace ?? namespace, name: wf.metadata?.name ?? name };
      if (spec.runs && (wait || watch || format !== 'table')) {
        started.push(ref);
        continue;
      }
      const from = spec.action === 'resubmit' && ref.name !== name ? ` (from workflow/${name})` : '';
      ctx.stdout.write(`workflow/${ref.name} ${PAST[spec.action]}${from}\n`);
    }
    if (started.length) {
      const code = await reportWorkflows(ctx, client, started, { format, wait, watch });
      failed ||= code !== 0;
    }
    return failed ? 1 : 0;
  } finally {
    client.close();
  }
}

export const retry = makeCommand({
  action: 'retry',
  summary: 'Retry a failed workflow: run its failed nodes again',
  description: `Retry a completed workflow that failed, as "argo retry" does: the failed and errored nodes (and
the nodes that depend on them) run again; the nodes that succeeded keep their results.

--restart-successful with --node-field-selector also runs again the succeeded nodes the selector
picks. -p changes a parameter's value for the new run.`,
  examples: `
  drover retry pipeline-x7k2p
  drover retry pipeline-x7k2p --restart-successful --node-field-selector displayName=train
  drover retry pipeline-x7k2p -p epochs=5 --wait`,
  flags: [
    { name: 'restart-successful', type: 'boolean', description: 'Also run again the succeeded nodes --node-field-selector picks.' },
    SELECTOR_FLAG,
    ...PARAMETER_FLAGS,
  ],
  runs: true,
  async body(ctx, args) {
    const b: WorkflowActionBody = {};
    if (args.bool('restart-successful')) {
      if (!args.string('node-field-selector')) throw new UsageError('--restart-successful needs --node-field-selector to say which succeeded nodes to run again', 'retry');
      b.restartSuccessful = true;
    }
    const sel = args.string('node-field-selector');
    if (sel) b.nodeFieldSelector = sel;
    const params = await collectParameters(ctx, args, 'retry', false);
    if (params.length) b.parameters = params.map(([k, v]) => `${k}=${v}`);
    return b;
  },
});

export const resubmit = makeCommand({
  action: 'resubmit',
  summary: 'Submit a workflow again, as a new workflow',
  description: `Submit a copy of a workflow as a new workflow, as "argo resubmit" does; the original is left as it
is. -p changes a parameter's value for the copy. Prints "workflow/NEW resubmitted (from
workflow/OLD)", or with -o name just "workflow/NEW".`,
  examples: `
  drover resubmit pipeline-x7k2p
  drover resubmit pipeline-x7k2p -p lr=0.1 --wait
  new=$(drover resubmit pipeline-x7k2p -o name)`,
  flags: [...PARAMETER_FLAGS],
  runs: true,
  async body(ctx, args) {
    const params = await collectParameters(ctx, args, 'resubmit', false);
    return params.length ? { parameters: params.map(([k, v]) => `${k}=${v}`) } : {};
  },
});

export const suspend = makeCommand({
  action: 'suspend',
  summary: 'Suspend a running workflow (no new steps start)',
  description: `Suspend a workflow, as "argo suspend" does: steps already running finish, no new ones start until
"drover resume".`,
  examples: `
  drover suspend pipeline-x7k2p`,
  flags: [],
  async body() {
    return {};
  },
});

export const resume = makeCommand({
  action: 'resume',
  summary: 'Resume a suspended workflow, or its waiting suspend nodes',
  description: `Resume a suspended workflow, and the suspend templates it is waiting at, as "argo resume" does.
--node-field-selector resumes only the suspend nodes it picks. --output-parameter supplies the
value of an output parameter those suspend nodes declare with valueFrom.supplied.`,
  examples: `
  drover resume pipeline-x7k2p
  drover resume pipeline-x7k2p --node-field-selector displayName=approve --output-parameter approved=yes`,
  flags: [SELECTOR_FLAG, { name: 'output-parameter', type: 'strings', value: 'NAME=VALUE', description: 'A value for a suspend node\'s supplied output parameter. May be repeated.' }],
  async body(_ctx, args) {
    const sel = args.string('node-field-selector');
    const outputs = args.strings('output-parameter');
    return { ...(sel ? { nodeFieldSelector: sel } : {}), ...(outputs.length ? { outputParameters: outputs } : {}) };
  },
});

export const stop = makeCommand({
  action: 'stop',
  summary: 'Stop a workflow: end its steps, still run its exit handlers',
  description: `Stop a workflow, as "argo stop" does: running steps are ended and no new ones start, but exit
handlers still run. The workflow ends Failed with "Stopped with strategy 'Stop'".`,
  examples: `
  drover stop pipeline-x7k2p
  drover stop pipeline-x7k2p --message "wrong data set"`,
  flags: [{ name: 'message', type: 'string', value: 'TEXT', description: 'Why it was stopped (recorded in the workflow\'s message).' }],
  async body(_ctx, args) {
    const m = args.string('message');
    return m ? { message: m } : {};
  },
});

export const terminate = makeCommand({
  action: 'terminate',
  summary: 'Terminate a workflow at once, without exit handlers',
  description: `Terminate a workflow, as "argo terminate" does: running steps are ended, nothing else runs, not
even exit handlers. The workflow ends Failed.`,
  examples: `
  drover terminate pipeline-x7k2p`,
  flags: [],
  async body() {
    return {};
  },
});
