/**
 * What `submit` and `resubmit` print about the workflows they start: the `argo submit` summary,
 * names, or the objects as JSON/YAML; with `--wait` only once they complete, with `--watch` a live
 * tree until they do.
 */
import type { Client } from '../client.js';
import { colorEnabled, type Ctx, type Output } from '../context.js';
import { asList, toJson, toYaml } from '../printers.js';
import { resolveKind } from '../resources.js';
import { followWorkflow } from './follow.js';
import { goUtcTime } from '../../kinds/workflows/cli/humanize.js';
import { asWorkflow, type WorkflowObject } from '../../kinds/workflows/cli/status.js';
import type { KubeObject } from '../../api/types.js';
import { renderHeader, renderWorkflow } from '../../kinds/workflows/cli/tree.js';

export type SubmitFormat = 'table' | 'wide' | 'name' | 'json' | 'yaml';

export interface WorkflowRef {
  namespace: string;
  name: string;
}

export interface ReportOptions {
  format: SubmitFormat;
  wait: boolean;
  watch: boolean;
}

export function parseSubmitFormat(o: string | undefined): SubmitFormat | undefined {
  if (o === undefined || o === '') return 'table';
  return (['wide', 'name', 'json', 'yaml'] as const).find((f) => f === o);
}

async function printObjects(ctx: Ctx, format: 'json' | 'yaml', wfs: WorkflowObject[]): Promise<void> {
  const value = wfs.length === 1 ? wfs[0] : asList(wfs as unknown as KubeObject[]);
  ctx.stdout.write(format === 'json' ? toJson(value) : await toYaml(value));
}

function succeeded(wf: WorkflowObject): boolean {
  return wf.status?.phase === 'Succeeded';
}

/** One stderr line per workflow that did not succeed, so a failing exit code says why. */
function reportFailures(ctx: Ctx, wfs: WorkflowObject[]): number {
  let failed = 0;
  for (const wf of wfs) {
    if (succeeded(wf)) continue;
    failed++;
    const why = wf.status?.message ? `: ${wf.status.message}` : '';
    ctx.stderr.write(`error: workflow/${wf.metadata?.name} ${wf.status?.phase ?? 'did not complete'}${why}\n`);
  }
  return failed ? 1 : 0;
}

/**
 * Prints what `submit` (or `resubmit`) shows for workflows just created, then waits or watches
 * as asked. Returns the exit code: 1 when waiting or watching and a workflow did not succeed.
 */
export async function reportWorkflows(ctx: Ctx, client: Client, refs: WorkflowRef[], o: ReportOptions): Promise<number> {
  const kind = resolveKind('workflows');
  if (o.watch) {
    const finals: WorkflowObject[] = [];
    for (const ref of refs) finals.push(await watchLive(ctx, client, ref));
    return reportFailures(ctx, finals);
  }
  if (!o.wait) {
    if (o.format === 'name') {
      for (const r of refs) ctx.stdout.write(`workflow/${r.name}\n`);
      return 0;
    }
    const wfs = await Promise.all(refs.map(async (r) => asWorkflow(await client.get(kind, r.namespace, r.name))));
    if (o.format === 'json' || o.format === 'yaml') await printObjects(ctx, o.format, wfs);
    else printSummaries(ctx, wfs);
    return 0;
  }
  const human = o.format === 'table' || o.format === 'wide';
  if (human) {
    printSummaries(ctx, await Promise.all(refs.map(async (r) => asWorkflow(await client.get(kind, r.namespace, r.name)))));
    ctx.stdout.write('\n');
  }
  const finals = await Promise.all(
    refs.map(async (r) => {
      const wf = await followWorkflow(client, r.namespace, r.name, () => {});
      // argo wait's line, as each one completes.
      if (human) ctx.stdout.write(`${r.name} ${wf.status?.phase ?? ''} at ${goUtcTime(wf.status?.finishedAt ?? '')}\n`);
      return wf;
    }),
  );
  if (o.format === 'name') for (const r of refs) ctx.stdout.write(`workflow/${r.name}\n`);
  else if (o.format === 'json' || o.format === 'yaml') await printObjects(ctx, o.format, finals);
  return reportFailures(ctx, finals);
}

function printSummaries(ctx: Ctx, wfs: WorkflowObject[]): void {
  wfs.forEach((wf, i) => ctx.stdout.write((i ? '\n' : '') + renderHeader(wf, { now: ctx.now() })));
}

/**
 * Draws the workflow's header and tree until it completes. On a terminal the drawing is redrawn in
 * place on every change and each second (durations move); elsewhere (a pipe, a CI log) only the
 * final tree is printed, once, so logs are not flooded with intermediate trees.
 */
export async function watchLive(ctx: Ctx, client: Client, ref: WorkflowRef): Promise<WorkflowObject> {
  const live = ctx.stdout.isTTY ? new LiveRegion(ctx.stdout) : undefined;
  const color = colorEnabled(ctx);
  let latest: WorkflowObject | undefined;
  const draw = () => {
    if (latest && live) live.draw(renderWorkflow(latest, { now: ctx.now(), color }));
  };
  const ticker = live ? setInterval(draw, 1000) : undefined;
  try {
    const final = await followWorkflow(client, ref.namespace, ref.name, (wf) => {
      latest = wf;
      draw();
    });
    if (live) live.draw(renderWorkflow(final, { now: ctx.now(), color }));
    else ctx.stdout.write(renderWorkflow(final, { now: ctx.now(), color }));
    return final;
  } finally {
    if (ticker) clearInterval(ticker);
  }
}

/** Text redrawn in place at the bottom of a terminal: cursor up over the last drawing, clear, write. */
export class LiveRegion {
  private lines = 0;
  constructor(private readonly out: Output) {}

  draw(text: string): void {
    const cols = this.out.columns ?? 0;
    // Lines longer than the terminal would wrap and break the cursor arithmetic: cut them.
    const lines = text.replace(/\n$/, '').split('\n').map((l) => (cols > 1 ? fit(l, cols - 1) : l));
    const rows = this.out.rows ?? 0;
    let s = '';
    // Taller than the screen, the old drawing cannot be reached by moving up: start from the top.
    if (rows > 1 && Math.max(this.lines, lines.length) >= rows) s += '\x1b[H\x1b[2J';
    else if (this.lines > 0) s += `\x1b[${this.lines}A\r\x1b[J`;
    else s += '\r\x1b[J';
    s += lines.join('\n') + '\n';
    this.out.write(s);
    this.lines = lines.length;
  }
}

/** Cuts a line to `width` visible characters, keeping ANSI escapes whole. */
export function fit(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; ) {
    const esc = /^\x1b\[[0-9;]*m/.exec(line.slice(i));
    if (esc) {
      out += esc[0];
      i += esc[0].length;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i)!);
    if (visible >= width) {
      i += ch.length;
      continue;
    }
    out += ch;
    visible++;
    i += ch.length;
  }
  return out;
}
