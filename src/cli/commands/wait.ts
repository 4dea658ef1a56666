import { UsageError, type ParsedArgs } from '../args.js';
import { ApiError, type Client } from '../client.js';
import { clientFor, namespaceOf, type Command } from '../command.js';
import type { Ctx } from '../context.js';
import type { KubeObject } from '../../api/types.js';
import type { KindInfo } from '../../api/kinds.js';
import { judge, parseWaitFor, progressState, type Verdict, type WaitFor } from '../conditions.js';
import { startProgress } from '../progress.js';
import { parseResourceArgs, qualifiedName } from '../resources.js';
import { parseDuration } from '../../print/units.js';

export const command: Command = {
  name: 'wait',
  usage: 'drover wait (TYPE/NAME... | TYPE NAME... | TYPE (--all | -l SELECTOR)) --for=(condition=TYPE[=VALUE] | delete | create | jsonpath=\'{.path}\'=VALUE) [--timeout=30s] [options]',
  summary: 'Wait for a condition on one or many resources',
  description: `Wait for a condition on one or many resources, as "kubectl wait" does: prints
"job.batch/train condition met" for each, or "error: timed out waiting for the condition on jobs/train"
and exits 1 when --timeout passes first.

Unlike kubectl, waiting for condition=Complete on a Job that fails stops at once with
"error: job.batch/NAME failed: REASON: MESSAGE" and exit code 1, instead of waiting for the
timeout; likewise waiting for condition=Failed on a Job that completes.

A Workflow has condition Completed once it ends, whether it succeeded or not;
--for=jsonpath='{.status.phase}'=Succeeded waits for success and stops with exit code 1 as soon as
the workflow ends Failed or Error.

A Katib experiment has condition Succeeded when it reaches its goal, its maximum trial count or
the end of its search; waiting for it stops with exit code 1 as soon as the experiment fails. While
waiting, the progress line shows the trials done of the maximum and the best result so far.`,
  examples: `
  drover wait --for=condition=Complete job/train --timeout=10m
  drover wait --for=delete pod/train-x7k2p
  drover wait workflow/pipeline-x7k2p --for=condition=Completed --timeout=1h
  drover wait workflow/pipeline-x7k2p --for=jsonpath='{.status.phase}'=Succeeded --timeout=1h
  drover wait experiment/tune --for=condition=Succeeded --timeout=2h
  drover wait --for=jsonpath='{.status.phase}'=Running pod -l job-name=train`,
  flags: [
    { name: 'for', type: 'string', value: 'CONDITION', description: 'The condition to wait on: condition=TYPE[=VALUE] (VALUE defaults to True), delete, create, or jsonpath=\'{.path}\'=VALUE.' },
    { name: 'timeout', type: 'string', default: '30s', value: 'DURATION', description: 'How long to wait before giving up (e.g. 30s, 10m); 0 checks once, a negative value waits a week.' },
    { name: 'selector', short: 'l', type: 'string', value: 'SELECTOR', description: 'Wait on the objects of TYPE matching this label selector.' },
    { name: 'all', type: 'boolean', description: 'Wait on all objects of TYPE in the namespace.' },
  ],
  run,
};

interface Target {
  kind: KindInfo;
  namespace: string;
  name: string;
  obj?: KubeObject;
  done?: Verdict;
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  const forText = args.string('for');
  if (!forText) throw new UsageError('--for must be given (e.g. --for=condition=Complete)', 'wait');
  const want = parseWaitFor(forText);
  let timeoutMs = parseDuration(args.string('timeout') ?? '30s');
  if (timeoutMs === undefined) throw new UsageError(`invalid --timeout "${args.string('timeout')}": use a duration like 30s or 10m`, 'wait');
  if (timeoutMs < 0) timeoutMs = WEEK_MS;
  if (args.positionals.length === 0) throw new UsageError('resource(s) to wait on must be given (e.g. job/train)', 'wait');
  const requests = parseResourceArgs(args.positionals, 'wait');
  const namespace = namespaceOf(args);
  const selector = args.string('selector');
  const all = args.bool('all');
  const deadline = ctx.now() + timeoutMs;
  const client = clientFor(ctx, args);
  try {
    // Group targets by kind: one list+watch per kind serves all of its names.
    const groups: { kind: KindInfo; targets: Target[]; selector?: string | undefined }[] = [];
    for (const req of requests) {
      if (req.names.length) {
        if (selector || all) throw new UsageError('name cannot be provided when a selector or --all is specified', 'wait');
        groups.push({ kind: req.kind, targets: req.names.map((name) => ({ kind: req.kind, namespace, name })) });
      } else if (selector || all) {
        const list = await client.list(req.kind, namespace, { labelSelector: selector });
        if (list.items.length === 0) {
          ctx.stderr.write(`error: no matching resources found\n`);
          return 1;
        }
        groups.push({ kind: req.kind, selector, targets: list.items.map((o) => ({ kind: req.kind, namespace, name: o.metadata.name ?? '', obj: o })) });
      } else {
        throw new UsageError('resource(s) were provided, but no name was specified', 'wait');
      }
    }
    const targets = groups.flatMap((g) => g.targets);
    const label = (t: Target) => `${qualifiedName(t.kind)}/${t.name}`;
    const progress = startProgress(ctx, '');
    const showProgress = () => {
      const open = targets.filter((t) => !t.done);
      if (open.length === 1) {
        const t = open[0]!;
        progress.update(`waiting for ${t.kind.singular}/${t.name}: ${progressState(t.obj)}`);
      } else if (open.length > 1) {
        progress.update(`waiting for ${open.length} of ${targets.length} resources`);
      }
    };
    const settle = (t: Target, v: Verdict) => {
      if (t.done || v.state === 'pending') return;
      t.done = v;
      progress.clear();
      if (v.state === 'met') ctx.stdout.write(`${label(t)} condition met\n`);
      else ctx.stderr.write(`error: ${label(t)} ${v.message}\n`);
    };
    try {
      await Promise.all(groups.map((g) => waitGroup(ctx, client, g.kind, namespace, g.targets, want, deadline, settle, showProgress)));
    } finally {
      progress.stop();
    }
    let failed = false;
    for (const t of targets) {
      if (!t.done) {
        ctx.stderr.write(`error: timed out waiting for the condition on ${t.kind.plural}/${t.name}\n`);
        failed = true;
      } else if (t.done.state === 'failed') failed = true;
    }
    return failed ? 1 : 0;
  } finally {
    client.close();
  }
}

/**
 * Lists the kind, judges each target, then watches from the list's resourceVersion, judging on
 * every change; re-lists when the watch ends or expires. Falls back to polling when the server
 * cannot watch. Resolves when every target is settled or at the deadline.
 */
async function waitGroup(
  ctx: Ctx, client: Client, kind: KindInfo, namespace: string, targets: Target[], want: WaitFor, deadline: number,
  settle: (t: Target, v: Verdict) => void, showProgress: () => void,
): Promise<void> {
  const byName = new Map(targets.map((t) => [t.name, t]));
  const open = () => targets.some((t) => !t.done);
  const update = (name: string, obj: KubeObject | undefined) => {
    const t = byName.get(name);
    if (!t || t.done) return;
    t.obj = obj;
    settle(t, judge(obj, want));
  };
  // Objects that must exist: kubectl reports NotFound for a condition on a missing object.
  if (want.type === 'condition' || want.type === 'jsonpath') {
    for (const t of targets) {
      if (t.obj) continue;
      t.obj = await client.get(kind, namespace, t.name);
    }
  }
  let canWatch = true;
  while (open()) {
    const list = await client.list(kind, namespace);
    const present = new Map(list.items.map((o) => [o.metadata.name ?? '', o]));
    for (const t of targets) update(t.name, present.get(t.name));
    showProgress();
    if (!open()) return;
    const remaining = deadline - ctx.now();
    if (remaining <= 0) return;
    if (!canWatch) {
      await sleep(Math.min(250, remaining));
      continue;
    }
    const w = client.watch(kind, namespace, { resourceVersion: list.metadata.resourceVersion }, (e) => {
      if (e.type === 'ERROR' || e.type === 'BOOKMARK') return;
      const name = e.object.metadata?.name ?? '';
      update(name, e.type === 'DELETED' ? undefined : e.object);
      showProgress();
      if (!open()) w.stop();
    });
    const timer = setTimeout(() => w.stop(), remaining);
    const ticker = setInterval(showProgress, 1000);
    try {
      await w.done;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      // 410 Gone: re-list. Anything else: this server cannot watch; poll instead.
      if (err.code !== 410) canWatch = false;
    } finally {
      clearTimeout(timer);
      clearInterval(ticker);
    }
    if (ctx.now() >= deadline) return;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
