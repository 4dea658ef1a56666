import { UsageError, type ParsedArgs } from '../args.js';
import { ApiError, type Client, type WatchEvent } from '../client.js';
import { clientFor, getNamed, namespaceOf, type Command } from '../command.js';
import { colorEnabled, type Ctx } from '../context.js';
import type { KubeObject } from '../../api/types.js';
import type { KindInfo } from '../../api/kinds.js';
import {
  asList, objectName, parseOutputFormat, printerFor, renderTable, tableHeader, tableRow, toJson, toYaml, type OutputFormat, type TableOptions,
} from '../printers.js';
import { parseResourceArgs, type ResourceRequest } from '../resources.js';
import { formatTable, Tabwriter, TABLE_OPTIONS } from '../../print/tabwriter.js';

export const command: Command = {
  name: 'get',
  usage: 'drover get (TYPE[,TYPE...] [NAME...] | TYPE/NAME ...) [options]',
  summary: 'Display one or many resources',
  description: `Display one or many resources, as kubectl does.

Types are kubectl's names and short names: jobs, pods (po), configmaps (cm), secrets,
persistentvolumeclaims (pvc), namespaces (ns), nodes (no), events (ev), workflows (wf),
workflowtemplates (wftmpl), clusterworkflowtemplates (cwftmpl), cronworkflows (cwf), experiments,
trials; "all" means pods and jobs. Run "drover api-resources" for the full list.

Workflows list as "argo list" does (STATUS, DURATION, PRIORITY, MESSAGE; -o wide adds pod counts
and parameters); a workflow named on the command line is shown as "argo get" shows it: its
summary and its tree of steps with their phases, pods and durations.

Katib experiments list their phase, the best objective value so far and their running, succeeded
and failed trials (-o wide adds trials done of the maximum, the reason and the best trial's name).
Trials list best first by their experiment's objective, with their parameters (-o wide adds the
experiment and the other metrics).`,
  examples: `
  # List jobs in the current namespace, then the pods they made
  drover get jobs
  drover get pods -l job-name=train -o wide

  # One job as YAML; several kinds at once
  drover get job train -o yaml
  drover get jobs,pods

  # Follow changes
  drover get pods -w

  # Workflows, and one workflow's tree
  drover get workflows
  drover get wf pipeline-x7k2p

  # An experiment's progress, then its trials best first
  drover get experiments
  drover get trials -l katib.kubeflow.org/experiment=tune -o wide`,
  flags: [
    { name: 'output', short: 'o', type: 'string', value: 'FORMAT', description: 'Output format: wide, json, yaml or name.' },
    { name: 'selector', short: 'l', type: 'string', value: 'SELECTOR', description: 'Label selector to filter on (e.g. -l key1=value1,key2!=value2, env in (a,b)).' },
    { name: 'field-selector', type: 'string', value: 'SELECTOR', description: 'Field selector to filter on (e.g. involvedObject.name=train for events).' },
    { name: 'all-namespaces', short: 'A', type: 'boolean', description: 'List the requested objects across all namespaces.' },
    { name: 'watch', short: 'w', type: 'boolean', description: 'After listing the requested objects, watch for changes.' },
    { name: 'watch-only', type: 'boolean', description: 'Watch for changes to the requested objects, without listing them first.' },
    { name: 'show-labels', type: 'boolean', description: 'Show all labels as the last column.' },
    { name: 'no-headers', type: 'boolean', description: 'Do not print headers.' },
  ],
  run,
};

interface Found {
  req: ResourceRequest;
  objects: KubeObject[];
}

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  if (args.positionals.length === 0) {
    throw new UsageError('You must specify the type of resource to get. Use "drover api-resources" for a complete list of supported resources.', 'get');
  }
  const format = parseOutputFormat(args.string('output'));
  if (!format) {
    throw new UsageError(`unable to match a printer suitable for the output format "${args.string('output')}", allowed formats are: json,name,wide,yaml`, 'get');
  }
  const requests = parseResourceArgs(args.positionals, 'get');
  const selector = args.string('selector');
  if (selector && requests.some((r) => r.names.length)) throw new UsageError('name cannot be provided when a selector is specified', 'get');
  const allNs = args.bool('all-namespaces');
  const namespace = namespaceOf(args);
  const client = clientFor(ctx, args);
  try {
    if (args.bool('watch') || args.bool('watch-only')) {
      if (requests.length !== 1) throw new UsageError('you may only specify a single resource type', 'get');
      return await watch(ctx, client, args, requests[0]!, format, allNs ? undefined : namespace);
    }
    let failed = false;
    const found: Found[] = [];
    for (const req of requests) {
      if (req.names.length) {
        const got = await getNamed(ctx, client, req.kind, namespace, req.names);
        failed ||= got.failed;
        found.push({ req, objects: got.objects });
      } else {
        const list = await client.list(req.kind, allNs ? undefined : namespace, {
          labelSelector: selector,
          fieldSelector: args.string('field-selector'),
        });
        found.push({ req, objects: list.items });
      }
    }
    const total = found.reduce((n, f) => n + f.objects.length, 0);
    const single = requests.length === 1 && requests[0]!.names.length === 1;
    if (format === 'json' || format === 'yaml') {
      if (single && total === 1) {
        await print(ctx, format, found[0]!.objects[0]!);
      } else if (!(single && failed)) {
        await print(ctx, format, asList(found.flatMap((f) => f.objects)));
      }
    } else if (format === 'name') {
      for (const f of found) for (const o of f.objects) ctx.stdout.write(objectName(o, f.req.kind) + '\n');
    } else {
      const opts: TableOptions = {
        wide: format === 'wide',
        withNamespace: allNs,
        withKind: requests.length > 1,
        showLabels: args.bool('show-labels'),
        noHeaders: args.bool('no-headers'),
        now: ctx.now(),
      };
      let firstTable = true;
      for (const f of found) {
        if (f.objects.length === 0) continue;
        const detail = printerFor(f.req.kind.kind).detail;
        if (detail && f.req.names.length) {
          // Named objects of a kind with its own view (a Workflow's tree), one after another.
          for (const o of f.objects) {
            if (!firstTable) ctx.stdout.write('\n');
            firstTable = false;
            ctx.stdout.write(detail(o, { now: opts.now, wide: format === 'wide', color: colorEnabled(ctx) }));
          }
          continue;
        }
        if (!firstTable) ctx.stdout.write('\n');
        firstTable = false;
        ctx.stdout.write(renderTable(f.req.kind.kind, f.objects, { ...opts, withNamespace: allNs && f.req.kind.namespaced }, f.req.kind));
      }
    }
    if (total === 0 && !failed && format !== 'json' && format !== 'yaml') {
      const scoped = !allNs && requests.some((r) => r.kind.namespaced);
      ctx.stderr.write(scoped ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n');
    }
    return failed ? 1 : 0;
  } finally {
    client.close();
  }
}

async function print(ctx: Ctx, format: 'json' | 'yaml', value: unknown): Promise<void> {
  ctx.stdout.write(format === 'json' ? toJson(value) : await toYaml(value));
}

/** Lists (unless --watch-only), then prints a row per change until interrupted; resumes when the stream drops. */
async function watch(ctx: Ctx, client: Client, args: ParsedArgs, req: ResourceRequest, format: OutputFormat, namespace: string | undefined): Promise<number> {
  const kind: KindInfo = req.kind;
  const names = new Set(req.names);
  const wanted = (o: KubeObject) => names.size === 0 || names.has(o.metadata.name ?? '');
  const writer = new Tabwriter({ ...TABLE_OPTIONS, rememberWidths: true });
  const opts: TableOptions = {
    wide: format === 'wide',
    withNamespace: namespace === undefined && kind.namespaced,
    showLabels: args.bool('show-labels'),
    noHeaders: args.bool('no-headers'),
    now: ctx.now(),
  };
  let headerPrinted = false;
  const printObjects = async (objects: KubeObject[]) => {
    if (objects.length === 0) return;
    opts.now = ctx.now();
    if (format === 'json' || format === 'yaml') {
      for (const o of objects) await print(ctx, format, o);
    } else if (format === 'name') {
      for (const o of objects) ctx.stdout.write(objectName(o, kind) + '\n');
    } else {
      const rows = objects.map((o) => tableRow(o, opts, kind));
      if (!headerPrinted && !opts.noHeaders) rows.unshift(tableHeader(kind.kind, opts));
      headerPrinted = true;
      ctx.stdout.write(formatTable(rows, writer));
    }
  };
  const listOpts = { labelSelector: args.string('selector'), fieldSelector: args.string('field-selector') };

  let resourceVersion: string | undefined;
  const relist = async (printIt: boolean) => {
    const list = await client.list(kind, namespace, listOpts);
    resourceVersion = list.metadata.resourceVersion;
    if (printIt) {
      const items = list.items.filter(wanted);
      if (format === 'table' || format === 'wide') {
        if (items.length) {
          ctx.stdout.write(renderTable(kind.kind, items, opts, kind, writer));
          headerPrinted = !opts.noHeaders;
        }
      } else await printObjects(items);
    }
  };
  await relist(!args.bool('watch-only'));
  // Serialise printing: YAML output is async and rows must stay in order.
  let chain = Promise.resolve();
  for (;;) {
    let expired = false;
    const w = client.watch(kind, namespace, { ...listOpts, resourceVersion }, (e: WatchEvent) => {
      if (e.type === 'ERROR') {
        const code = (e.object as unknown as { code?: number }).code;
        if (code === 410) expired = true;
        return;
      }
      if (e.type === 'BOOKMARK') {
        resourceVersion = e.object.metadata?.resourceVersion ?? resourceVersion;
        return;
      }
      resourceVersion = e.object.metadata?.resourceVersion ?? resourceVersion;
      if (!wanted(e.object)) return;
      chain = chain.then(() => printObjects([e.object]));
    });
    try {
      await w.done;
    } catch (err) {
      if (err instanceof ApiError && err.code === 410) expired = true;
      else throw err;
    }
    await chain;
    if (expired) await relist(false);
    else await new Promise((r) => setTimeout(r, 200));
  }
}
