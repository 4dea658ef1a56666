import { UsageError, type ParsedArgs } from '../args.js';
import { ApiError, type Client } from '../client.js';
import { clientFor, namespaceOf, type Command } from '../command.js';
import { CliError, type Ctx } from '../context.js';
import type { KubeObject, Node, Pod } from '../../api/types.js';
import { resolveKind } from '../resources.js';
import { formatTable } from '../../print/tabwriter.js';
import { jobRows, nodeRows, podRows, type JobPods, type NodeMetrics, type PodMetrics } from '../top.js';
import { KINDS, podLogsFor } from '../../registry.js';

export const command: Command = {
  name: 'top',
  usage: 'drover top (node [NAME] | pod [NAME] | JOBKIND [NAME]) [options]',
  summary: 'Show CPU, memory and GPU use of nodes, pods and jobs',
  description: `Show resource use, as "kubectl top" does.

"top node" adds Drover's columns: CPU, memory and GPUs allocated (the requests of the pods bound to
the node that have not finished; a limit stands for a missing request) against the node's capacity.

"top pytorchjob" (tfjob, mpijob, trainjob, job, any kind whose pods "logs KIND/NAME" finds) sums
each job's replicas: how many run, their CPU and memory use, and the GPUs they hold; --replicas
shows one row per replica pod.`,
  examples: `
  drover top node
  drover top pod -l job-name=train
  drover top pod --containers -A
  drover top pytorchjobs
  drover top pytorchjob ddp --replicas`,
  flags: [
    { name: 'selector', short: 'l', type: 'string', value: 'SELECTOR', description: 'Label selector to filter on.' },
    { name: 'all-namespaces', short: 'A', type: 'boolean', description: 'Show pods in all namespaces.' },
    { name: 'containers', type: 'boolean', description: 'Show each container of a pod.' },
    { name: 'replicas', type: 'boolean', description: 'For a job kind: show each replica pod of the job.' },
    { name: 'sort-by', type: 'string', value: 'cpu|memory', description: 'Sort pods by cpu or memory use (highest first).' },
    { name: 'no-headers', type: 'boolean', description: 'Do not print headers.' },
  ],
  run,
};

const METRICS = '/apis/metrics.k8s.io/v1beta1';

/** Reads the metrics API; a list that is not served at all means the server has no metrics. */
async function metrics<T>(client: Client, path: string, opts: { list: boolean }): Promise<T> {
  try {
    return await client.json<T>('GET', `${METRICS}${path}`);
  } catch (err) {
    if (opts.list && err instanceof ApiError && (err.code === 404 || err.code === 503)) throw new CliError('Metrics API not available');
    throw err;
  }
}

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  const [what, name, ...extra] = args.positionals;
  if (!what) throw new UsageError('top needs "node" or "pod"', 'top');
  if (extra.length) throw new UsageError(`too many arguments: ${args.positionals.join(' ')}`, 'top');
  const sortBy = args.string('sort-by');
  if (sortBy !== undefined && sortBy !== 'cpu' && sortBy !== 'memory') throw new UsageError('--sort-by must be cpu or memory', 'top');
  const client = clientFor(ctx, args);
  const print = (rows: string[][]) => ctx.stdout.write(formatTable(args.bool('no-headers') ? rows.slice(1) : rows));
  try {
    switch (what.toLowerCase()) {
      case 'node':
      case 'nodes':
      case 'no': {
        const nodeKind = resolveKind('nodes');
        const selector = args.string('selector');
        if (name && selector) throw new UsageError('name cannot be provided when a selector is specified', 'top');
        const nodes = name ? [await client.get<Node & KubeObject>(nodeKind, '', name)] : (await client.list<Node & KubeObject>(nodeKind, undefined, { labelSelector: selector })).items;
        const m = await metrics<{ items: NodeMetrics[] }>(client, '/nodes', { list: true });
        const pods = (await client.list<Pod & KubeObject>(resolveKind('pods'), undefined)).items;
        if (nodes.length === 0) {
          ctx.stderr.write('No resources found\n');
          return 0;
        }
        print(nodeRows(nodes, m.items ?? [], pods));
        return 0;
      }
      case 'pod':
      case 'pods':
      case 'po': {
        const allNs = args.bool('all-namespaces');
        const ns = namespaceOf(args);
        const path = allNs ? '/pods' : `/namespaces/${encodeURIComponent(ns)}/pods`;
        let items = (await metrics<{ items: PodMetrics[] }>(client, path, { list: true })).items ?? [];
        // The metrics API serves whole lists: narrow them here by name or by the pods' labels.
        if (name) {
          items = items.filter((m) => m.metadata.name === name);
          if (items.length === 0) throw new CliError(`Metrics not available for pod ${ns}/${name}`);
        }
        const selector = args.string('selector');
        if (selector) {
          const pods = await client.list(resolveKind('pods'), allNs ? undefined : ns, { labelSelector: selector });
          const keep = new Set(pods.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
          items = items.filter((m) => keep.has(`${m.metadata.namespace ?? ns}/${m.metadata.name}`));
        }
        if (items.length === 0) {
          ctx.stderr.write(allNs ? 'No resources found\n' : `No resources found in ${ns} namespace.\n`);
          return 0;
        }
        const opts = { containers: args.bool('containers'), withNamespace: allNs, ...(sortBy ? { sortBy: sortBy as 'cpu' | 'memory' } : {}) };
        print(podRows(items, opts));
        return 0;
      }
      default: {
        const kind = KINDS.lookup(what);
        const pods = kind ? podLogsFor(kind.kind) : undefined;
        if (!kind || !pods) throw new UsageError(`unknown resource for top: "${what}" (use node, pod, or a job kind: pytorchjob, tfjob, mpijob, trainjob, job…)`, 'top');
        const allNs = args.bool('all-namespaces');
        const ns = namespaceOf(args);
        const jobs = name ? [await client.get<KubeObject>(kind, ns, name)] : (await client.list<KubeObject>(kind, allNs ? undefined : ns, { labelSelector: args.string('selector') })).items;
        if (jobs.length === 0) {
          ctx.stderr.write(allNs ? 'No resources found\n' : `No resources found in ${ns} namespace.\n`);
          return 0;
        }
        const withPods: JobPods[] = [];
        for (const j of jobs) {
          const jns = j.metadata.namespace ?? ns;
          const list = await client.list<Pod & KubeObject>(resolveKind('pods'), jns, { labelSelector: pods.selector(j.metadata.name!) });
          withPods.push({ namespace: jns, name: j.metadata.name!, pods: list.items });
        }
        const m = await metrics<{ items: PodMetrics[] }>(client, allNs ? '/pods' : `/namespaces/${encodeURIComponent(ns)}/pods`, { list: true });
        print(jobRows(withPods, m.items ?? [], { replicas: args.bool('replicas'), withNamespace: allNs }));
        return 0;
      }
    }
  } finally {
    client.close();
  }
}
