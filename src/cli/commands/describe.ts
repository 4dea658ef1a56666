import { UsageError, type ParsedArgs } from '../args.js';
import { ApiError, type Client } from '../client.js';
import { clientFor, getNamed, namespaceOf, type Command } from '../command.js';
import type { Ctx } from '../context.js';
import type { KubeObject, Pod } from '../../api/types.js';
import type { KindInfo } from '../../api/kinds.js';
import { describe, describerFor } from '../describe.js';
import { parseResourceArgs, resolveKind } from '../resources.js';

export const command: Command = {
  name: 'describe',
  usage: 'drover describe (TYPE [NAME...] | TYPE/NAME) [options]',
  summary: 'Show details of a resource, with its events',
  description: `Show details of a resource or group of resources, as kubectl does: its spec and status as
"Key: value" sections, and the events recorded about it at the bottom.

For a pod: each container's state, last state, exit code, restart count, limits, requests,
environment and mounts. For a job: parallelism, completions, pod statuses and conditions. For a
workflow: its "argo get" summary and tree, labels, annotations and events. For a Katib experiment:
its algorithm, objective, search space, trial limits, conditions, trial counts and the best trial
with its parameters and metrics; for a trial: its parameters, objective, conditions and metrics.`,
  examples: `
  drover describe job train
  drover describe pod/train-x7k2p
  drover describe pods -l job-name=train
  drover describe experiment tune`,
  flags: [
    { name: 'selector', short: 'l', type: 'string', value: 'SELECTOR', description: 'Label selector to filter on.' },
    { name: 'all-namespaces', short: 'A', type: 'boolean', description: 'Describe matching objects in all namespaces.' },
    { name: 'show-events', type: 'boolean', default: true, description: 'If true, display events related to the described object.' },
  ],
  run,
};

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  if (args.positionals.length === 0) {
    throw new UsageError('You must specify the type of resource to describe. Use "drover api-resources" for a complete list of supported resources.', 'describe');
  }
  const requests = parseResourceArgs(args.positionals, 'describe');
  const namespace = namespaceOf(args);
  const allNs = args.bool('all-namespaces');
  const client = clientFor(ctx, args);
  let failed = false;
  let printed = 0;
  try {
    for (const req of requests) {
      let objects: KubeObject[] = [];
      if (req.names.length) {
        const got = await getNamed(ctx, client, req.kind, namespace, req.names);
        objects = got.objects;
        failed ||= got.failed;
      } else {
        const list = await client.list(req.kind, allNs ? undefined : namespace, { labelSelector: args.string('selector') });
        objects = list.items;
        if (objects.length === 0 && requests.length === 1) {
          ctx.stderr.write(req.kind.namespaced && !allNs ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n');
        }
      }
      for (const obj of objects) {
        const text = await describeOne(ctx, client, req.kind, obj, args.bool('show-events'));
        ctx.stdout.write((printed++ ? '\n\n' : '') + text);
      }
    }
    return failed ? 1 : 0;
  } finally {
    client.close();
  }
}

async function describeOne(ctx: Ctx, client: Client, kind: KindInfo, obj: KubeObject, withEvents: boolean): Promise<string> {
  const ns = obj.metadata.namespace || undefined;
  const events = withEvents ? await eventsFor(client, kind, obj) : [];
  const d = describerFor(obj.kind);
  let pods: Pod[] | undefined;
  if (d.needsPods) {
    const podKind = resolveKind('pods');
    try {
      const list = await client.list<Pod & KubeObject>(podKind, d.needsPods === 'namespace' ? ns : undefined);
      pods = list.items;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
  }
  return describe(obj, pods ? { events, pods, now: ctx.now() } : { events, now: ctx.now() });
}

/** Events about one object, filtered on the client too in case the server ignores field selectors. */
async function eventsFor(client: Client, kind: KindInfo, obj: KubeObject): Promise<KubeObject[]> {
  const eventKind = resolveKind('events');
  const name = obj.metadata.name ?? '';
  try {
    const list = await client.list(eventKind, obj.metadata.namespace || undefined, {
      fieldSelector: `involvedObject.name=${name},involvedObject.kind=${obj.kind}`,
    });
    return list.items.filter((e) => {
      const inv = e['involvedObject'] as { name?: string; kind?: string; namespace?: string; uid?: string } | undefined;
      if (!inv || inv.name !== name || inv.kind !== obj.kind) return false;
      if (inv.uid && obj.metadata.uid && inv.uid !== obj.metadata.uid) return false;
      return !kind.namespaced || !inv.namespace || inv.namespace === obj.metadata.namespace;
    });
  } catch (err) {
    // Describing still helps when events cannot be listed.
    if (err instanceof ApiError) return [];
    throw err;
  }
}
