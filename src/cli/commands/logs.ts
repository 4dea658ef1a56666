import { UsageError, type ParsedArgs } from '../args.js';
import { ApiError, readLines, type Client } from '../client.js';
import { clientFor, namespaceOf, type Command } from '../command.js';
import { CliError, colorEnabled, type Ctx, type Output } from '../context.js';
import type { KubeObject, Pod } from '../../api/types.js';
import type { KindInfo } from '../../api/kinds.js';
import { startProgress, type Progress } from '../progress.js';
import { resolveKind } from '../resources.js';
import { podLogsFor } from '../../registry.js';
import { parseDuration } from '../../print/units.js';

export const command: Command = {
  name: 'logs',
  usage: 'drover logs [-f] [-c CONTAINER] (POD | TYPE/NAME | -l SELECTOR) [options]',
  summary: "Print the logs of a pod, a job's pod or a workflow's steps",
  description: `Print the logs of a container in a pod, as kubectl does. For job/NAME the newest pod of the job is
used (--all-pods for all of them). With -f, logs are streamed until the container ends; a pod that
is still pending is waited for rather than reported as an error.

For workflow/NAME (or a NAME that is a workflow and not a pod), every step's pod is printed, each
line prefixed with "POD: " as "argo logs" does, in the order the steps started; with -f the steps
are followed as they start, until the workflow completes.

For a training job (pytorchjob/NAME, tfjob/NAME) every replica's log is printed, each line
prefixed with its pod; --replica worker-1 picks one.`,
  examples: `
  drover logs job/train
  drover logs -f job/train
  drover logs -f workflow/pipeline-x7k2p
  drover logs pytorchjob/ddp --replica worker-1
  drover logs train-x7k2p -c sidecar --previous
  drover logs -l job-name=train --prefix --tail=20`,
  flags: [
    { name: 'container', short: 'c', type: 'string', value: 'NAME', description: 'Print the logs of this container (default: the only one, or the pod\'s default container).' },
    { name: 'follow', short: 'f', type: 'boolean', description: 'Stream the logs until the container ends.' },
    { name: 'previous', short: 'p', type: 'boolean', description: 'Print the logs of the previous run of the container (after a restart).' },
    { name: 'timestamps', type: 'boolean', description: 'Start each line with its RFC 3339 timestamp.' },
    { name: 'tail', type: 'string', default: '-1', value: 'N', description: 'Lines of recent log to show; -1 shows all.' },
    { name: 'selector', short: 'l', type: 'string', value: 'SELECTOR', description: 'Print the logs of every pod matching this label selector.' },
    { name: 'replica', type: 'string', value: 'TYPE-INDEX', description: 'With a training job (pytorchjob/NAME, tfjob/NAME), only this replica: worker-1, master-0.' },
    { name: 'all-pods', type: 'boolean', description: 'With job/NAME, print the logs of all of the job\'s pods (implies --prefix).' },
    { name: 'prefix', type: 'boolean', description: 'Start each line with [pod/NAME/CONTAINER].' },
    { name: 'pod-running-timeout', type: 'string', default: '20s', value: 'DURATION', description: 'How long to wait for a job to create a pod (without -f).' },
  ],
  run,
};

const NEVER_STARTS = new Set(['CreateContainerConfigError', 'CreateContainerError', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'RunContainerError']);

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  const namespace = namespaceOf(args);
  const selector = args.string('selector');
  const follow = args.bool('follow');
  const tailText = args.string('tail') ?? '-1';
  const tail = Number(tailText);
  if (!Number.isInteger(tail)) throw new UsageError(`invalid --tail "${tailText}": use a whole number`, 'logs');
  const podTimeout = parseDuration(args.string('pod-running-timeout') ?? '20s');
  if (podTimeout === undefined) throw new UsageError('invalid --pod-running-timeout: use a duration like 20s', 'logs');
  const client = clientFor(ctx, args);
  const podKind = resolveKind('pods');
  try {
    let pods: Pod[];
    let prefix = args.bool('prefix');
    let container = args.string('container');
    if (selector) {
      if (args.positionals.length) throw new UsageError('only one of a selector or a resource name may be given', 'logs');
      pods = (await client.list<Pod & KubeObject>(podKind, namespace, { labelSelector: selector })).items;
      if (pods.length === 0) {
        ctx.stderr.write(`No resources found in ${namespace} namespace.\n`);
        return 0;
      }
    } else {
      const [target, second, ...extra] = args.positionals;
      if (!target) throw new UsageError('a pod or TYPE/NAME (e.g. job/train) is required', 'logs');
      if (extra.length) throw new UsageError(`too many arguments: ${args.positionals.join(' ')}`, 'logs');
      if (second !== undefined) {
        if (container) throw new UsageError('the container is given twice (as an argument and with -c)', 'logs');
        container = second;
      }
      const wf = await workflowTarget(client, namespace, target);
      if (wf !== undefined) {
        const { workflowLogs } = await import('../workflows/logs.js');
        return await workflowLogs(ctx, client, namespace, wf, {
          follow, timestamps: args.bool('timestamps'), container, tailLines: tail >= 0 ? tail : undefined, color: colorEnabled(ctx),
        });
      }
      const replica = args.string('replica');
      const owned = await ownedPods(ctx, client, namespace, target, replica, follow ? Infinity : podTimeout);
      if (owned) {
        pods = owned;
        prefix ||= replica === undefined;
      } else {
        if (replica !== undefined) throw new UsageError('--replica is for training jobs (pytorchjob/NAME, tfjob/NAME)', 'logs');
        pods = await resolvePods(ctx, client, namespace, target, args.bool('all-pods'), follow ? Infinity : podTimeout);
      }
      if (args.bool('all-pods')) prefix = true;
    }
    pods.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    const streams = pods.map((pod) => async () => {
      const c = pickContainer(ctx, pod, container, pods.length === 1);
      if (follow) pod = await waitStarted(ctx, client, namespace, pod, c);
      await streamLogs(ctx, client, namespace, pod.metadata?.name ?? '', c, {
        follow, previous: args.bool('previous'), timestamps: args.bool('timestamps'), tailLines: tail >= 0 ? tail : undefined,
        prefix: prefix ? `[pod/${pod.metadata?.name}/${c}] ` : '',
      });
    });
    if (follow) await Promise.all(streams.map((s) => s()));
    else for (const s of streams) await s();
    return 0;
  } finally {
    client.close();
  }
}

/**
 * The workflow a target names: `workflow/NAME` (or `wf/NAME`), or a bare NAME when there is no
 * pod of that name but there is a workflow. Undefined for everything else.
 */
async function workflowTarget(client: Client, namespace: string, target: string): Promise<string | undefined> {
  const slash = target.indexOf('/');
  if (slash !== -1) return resolveKind(target.slice(0, slash)).kind === 'Workflow' ? target.slice(slash + 1) : undefined;
  try {
    await client.get(resolveKind('pods'), namespace, target);
    return undefined;
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 404) throw err;
    try {
      await client.get(resolveKind('workflows'), namespace, target);
      return target;
    } catch (again) {
      // Neither: report the missing pod, as before.
      if (again instanceof ApiError && again.code === 404) throw err;
      throw again;
    }
  }
}

/**
 * The pods of a kind whose logs are all its pods' (a training job's replicas), waited for as a
 * Job's are; `replica` (`worker-1`) keeps the one named `<job>-<replica>`. Undefined for other kinds.
 */
async function ownedPods(ctx: Ctx, client: Client, namespace: string, target: string, replica: string | undefined, waitMs: number): Promise<Pod[] | undefined> {
  const slash = target.indexOf('/');
  if (slash === -1) return undefined;
  const kind = resolveKind(target.slice(0, slash));
  const logs = podLogsFor(kind.kind);
  if (!logs) return undefined;
  const name = target.slice(slash + 1);
  await client.get(kind, namespace, name); // NotFound when the job does not exist
  const started = Date.now();
  let progress: Progress | undefined;
  try {
    for (;;) {
      let pods = (await client.list<Pod & KubeObject>(resolveKind('pods'), namespace, { labelSelector: logs.selector(name) })).items;
      if (replica !== undefined) pods = pods.filter((p) => p.metadata?.name === `${name}-${replica}`);
      if (pods.length) return pods;
      if (Date.now() - started >= waitMs) throw new CliError(`timed out waiting for ${kind.singular}/${name} to create ${replica === undefined ? 'a pod' : `replica ${replica}`}`);
      progress ??= startProgress(ctx, `waiting for ${kind.singular}/${name} to create ${replica === undefined ? 'its pods' : `replica ${replica}`}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    progress?.stop();
  }
}

/** The pods `logs` reads for POD, pod/NAME or job/NAME (the newest of a job's pods unless all are asked for). */
async function resolvePods(ctx: Ctx, client: Client, namespace: string, target: string, allPods: boolean, waitMs: number): Promise<Pod[]> {
  const slash = target.indexOf('/');
  const kind: KindInfo = slash === -1 ? resolveKind('pods') : resolveKind(target.slice(0, slash));
  const name = slash === -1 ? target : target.slice(slash + 1);
  if (kind.kind === 'Pod') return [await client.get<Pod & KubeObject>(kind, namespace, name)];
  if (kind.kind !== 'Job') throw new CliError(`cannot get logs of a ${kind.singular}: use a pod, job/NAME or workflow/NAME`);
  // Fails with NotFound when the job does not exist.
  await client.get(kind, namespace, name);
  const podKind = resolveKind('pods');
  const started = Date.now();
  let progress: Progress | undefined;
  try {
    for (;;) {
      const pods = (await client.list<Pod & KubeObject>(podKind, namespace, { labelSelector: `job-name=${name}` })).items;
      if (pods.length) {
        if (allPods) return pods;
        const newest = [...pods].sort((a, b) => Date.parse(b.metadata?.creationTimestamp ?? '') - Date.parse(a.metadata?.creationTimestamp ?? '') || (b.metadata?.name ?? '').localeCompare(a.metadata?.name ?? ''))[0]!;
        progress?.stop();
        if (pods.length > 1) ctx.stderr.write(`Found ${pods.length} pods, using pod/${newest.metadata?.name}\n`);
        return [newest];
      }
      if (Date.now() - started >= waitMs) throw new CliError(`timed out waiting for job/${name} to create a pod`);
      progress ??= startProgress(ctx, `waiting for job/${name} to create a pod`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    progress?.stop();
  }
}

function pickContainer(ctx: Ctx, pod: Pod, wanted: string | undefined, announce: boolean): string {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
  if (wanted) {
    if (!names.includes(wanted) && !inits.includes(wanted)) {
      throw new CliError(`container ${wanted} is not valid for pod ${pod.metadata?.name}`);
    }
    return wanted;
  }
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  const chosen = annotated && names.includes(annotated) ? annotated : names[0];
  if (!chosen) throw new CliError(`pod ${pod.metadata?.name} has no containers`);
  if (names.length > 1 && announce && !annotated) ctx.stderr.write(`Defaulted container "${chosen}" out of: ${names.join(', ')}\n`);
  return chosen;
}

/** With -f, a pending pod is waited for until its container runs or ends, showing why it waits. */
async function waitStarted(ctx: Ctx, client: Client, namespace: string, pod: Pod, container: string): Promise<Pod> {
  const podKind = resolveKind('pods');
  const name = pod.metadata?.name ?? '';
  let progress: Progress | undefined;
  let delay = 100;
  try {
    for (;;) {
      const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
      const cs = statuses.find((s) => s.name === container);
      const phase = pod.status?.phase ?? 'Pending';
      if (cs?.state?.running || cs?.state?.terminated || cs?.lastState?.terminated || phase === 'Succeeded' || phase === 'Failed') return pod;
      const waiting = cs?.state?.waiting?.reason;
      if (waiting && NEVER_STARTS.has(waiting)) {
        throw new CliError(`container "${container}" in pod "${name}" is waiting to start: ${waiting}${cs?.state?.waiting?.message ? `: ${cs.state.waiting.message}` : ''}`);
      }
      const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      const why = waiting ?? (unschedulable ? `${unschedulable.reason ?? 'Unschedulable'}: ${unschedulable.message ?? ''}`.trim() : phase);
      progress ??= startProgress(ctx, '');
      progress.update(`waiting for pod/${name} to start: ${why}`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
      pod = await client.get<Pod & KubeObject>(podKind, namespace, name);
    }
  } finally {
    progress?.stop();
  }
}

async function write(out: Output, text: string | Uint8Array): Promise<void> {
  const ok = out.write(text);
  const stream = out as Output & { once?: (ev: string, cb: () => void) => void };
  if (ok === false && typeof stream.once === 'function') await new Promise<void>((r) => stream.once!('drain', r));
}

async function streamLogs(
  ctx: Ctx, client: Client, namespace: string, pod: string, container: string,
  opts: { follow: boolean; previous: boolean; timestamps: boolean; tailLines: number | undefined; prefix: string },
): Promise<void> {
  const res = await client.logs(namespace, pod, {
    container, follow: opts.follow, previous: opts.previous, timestamps: opts.timestamps,
    ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}),
  });
  if (opts.prefix) {
    await readLines(res, (l) => ctx.stdout.write(`${opts.prefix}${l}\n`));
    return;
  }
  // Raw bytes: a multi-byte character may straddle two chunks.
  for await (const chunk of res) await write(ctx.stdout, chunk as Buffer);
}
