import { UsageError, type ParsedArgs } from '../args.js';
import { ApiError, type Client } from '../client.js';
import { clientFor, namespaceOf, printApiError, type Command } from '../command.js';
import { CliError, type Ctx } from '../context.js';
import type { KindInfo } from '../../api/kinds.js';
import { KINDS } from '../../registry.js';
import { manifestRefs, readManifests } from '../manifests.js';
import { parseResourceArgs, qualifiedName, resourceName } from '../resources.js';
import { parseDuration } from '../../print/units.js';
import { FILE_FLAGS } from './apply.js';

export const command: Command = {
  name: 'delete',
  usage: 'drover delete (TYPE NAME... | TYPE/NAME... | TYPE (--all | -l SELECTOR) | -f FILENAME) [options]',
  summary: 'Delete resources by name, by file, or by label',
  description: `Delete resources by name, by the files that created them, or by label selector, as kubectl does.
Deleting a Job also deletes its pods (their processes are stopped). By default the command waits
until the objects are gone; --wait=false returns as soon as the deletion is accepted.`,
  examples: `
  drover delete job train
  drover delete -f examples/job.yaml
  drover delete pods -l job-name=train
  drover delete configmaps --all`,
  flags: [
    ...FILE_FLAGS,
    { name: 'selector', short: 'l', type: 'string', value: 'SELECTOR', description: 'Delete the objects of TYPE matching this label selector.' },
    { name: 'all', type: 'boolean', description: 'Delete all objects of TYPE in the namespace.' },
    { name: 'all-namespaces', short: 'A', type: 'boolean', description: 'With --all or -l, delete matching objects in all namespaces.' },
    { name: 'ignore-not-found', type: 'boolean', description: 'Treat "resource not found" as a successful delete.' },
    { name: 'wait', type: 'boolean', default: true, description: 'Wait for the objects to be gone before returning.' },
    { name: 'timeout', type: 'string', default: '60s', value: 'DURATION', description: 'How long to wait for the objects to be gone (e.g. 30s, 2m).' },
  ],
  run,
};

interface Target {
  kind: KindInfo;
  namespace: string;
  name: string;
}

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  const namespace = namespaceOf(args);
  const timeoutMs = parseDuration(args.string('timeout') ?? '60s');
  if (timeoutMs === undefined) throw new UsageError(`invalid --timeout "${args.string('timeout')}": use a duration like 30s or 2m`, 'delete');
  const files = args.strings('filename');
  const client = clientFor(ctx, args);
  try {
    let targets: Target[] = [];
    if (files.length) {
      if (args.positionals.length) throw new UsageError('resources cannot be given by name together with -f', 'delete');
      const refs = await manifestRefs(await readManifests(ctx, files, args.bool('recursive')));
      for (const r of refs) {
        const kind = KINDS.of(r.apiVersion, r.kind) ?? KINDS.lookup(r.kind);
        if (!kind) throw new CliError(`${r.file}: the server doesn't have a resource type "${r.kind}" (${r.apiVersion})`);
        targets.push({ kind, namespace: r.namespace ?? namespace, name: r.name });
      }
    } else {
      if (args.positionals.length === 0) {
        throw new UsageError('You must provide one or more resources by argument or filename.', 'delete');
      }
      const requests = parseResourceArgs(args.positionals, 'delete');
      const selector = args.string('selector');
      const all = args.bool('all');
      for (const req of requests) {
        if (req.names.length) {
          if (selector || all) throw new UsageError('name cannot be provided when a selector or --all is specified', 'delete');
          for (const name of req.names) targets.push({ kind: req.kind, namespace, name });
        } else if (selector || all) {
          const list = await client.list(req.kind, args.bool('all-namespaces') ? undefined : namespace, { labelSelector: selector });
          for (const o of list.items) targets.push({ kind: req.kind, namespace: o.metadata.namespace ?? namespace, name: o.metadata.name ?? '' });
        } else {
          throw new UsageError('resource(s) were provided, but no name was specified', 'delete');
        }
      }
      if (targets.length === 0 && (selector || all)) {
        ctx.stderr.write('No resources found\n');
        return 0;
      }
    }
    targets = dedupe(targets);
    let failed = false;
    const pending: Target[] = [];
    for (const t of targets) {
      try {
        await client.delete(t.kind, t.namespace, t.name);
        ctx.stdout.write(`${qualifiedName(t.kind)} "${t.name}" deleted\n`);
        pending.push(t);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.code === 404 && args.bool('ignore-not-found')) continue;
        printApiError(ctx, err);
        failed = true;
      }
    }
    if (args.bool('wait') && pending.length) {
      const left = await waitGone(client, pending, timeoutMs);
      for (const t of left) {
        ctx.stderr.write(`error: timed out waiting for the condition on ${resourceName(t.kind)}/${t.name}\n`);
        failed = true;
      }
    }
    return failed ? 1 : 0;
  } finally {
    client.close();
  }
}

function dedupe(targets: Target[]): Target[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = `${t.kind.kind}.${t.kind.group}/${t.namespace}/${t.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Polls until each object answers NotFound; returns those still there at the deadline. */
async function waitGone(client: Client, targets: Target[], timeoutMs: number): Promise<Target[]> {
  const deadline = Date.now() + Math.max(0, timeoutMs);
  let left = targets;
  let delay = 25;
  for (;;) {
    const still: Target[] = [];
    for (const t of left) {
      try {
        await client.get(t.kind, t.namespace, t.name);
        still.push(t);
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== 404) throw err;
      }
    }
    left = still;
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(1, deadline - Date.now()))));
    delay = Math.min(delay * 2, 500);
  }
}
