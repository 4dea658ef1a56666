/**
 * `drover get workflow` of a wide workflow: the time to render `argo get`'s output (header and
 * tree) for a finished fan-out/fan-in of N tasks, built by the real pass.
 *
 *   node dist/bench/workflow-get.js [--tasks 10000] [--print]
 */
import { parseArgs } from 'node:util';
import { Sim } from '../src/kinds/workflows/testkit.js';
import { renderWorkflow } from '../src/kinds/workflows/cli/tree.js';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '10000' }, print: { type: 'boolean', default: false } } });
const tasks = Number(values.tasks);
const sim = new Sim(`
spec:
  entrypoint: main
  parallelism: 1000
  templates:
  - name: main
    dag:
      tasks:
      - {name: fan, template: noop, withSequence: {count: "${tasks}"}}
      - {name: collect, depends: fan, template: noop}
  - name: noop
    container: {image: busybox, command: ["true"]}
`);
for (;;) {
  sim.pass();
  const phase = sim.wf.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Error') break;
  for (const p of sim.running()) sim.end(p.metadata!.annotations!['workflows.argoproj.io/node-name']!);
}
const nodes = Object.keys(sim.wf.status?.nodes ?? {}).length;
// What the CLI receives: the object as JSON.
const text = JSON.stringify({ ...sim.wf, metadata: { ...sim.wf.metadata, creationTimestamp: '2026-01-01T00:00:00Z' } });
const opts = { now: Date.parse('2026-01-01T01:00:00Z'), tzOffsetMinutes: 0 };
/** Median of a few runs of parse + render (the machine is shared: one run is noise). */
function measure(noCollapse: boolean): { ms: number; cpuMs: number; lines: number; out: string } {
  const times: number[] = [];
  const cpu: number[] = [];
  let out = '';
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    out = renderWorkflow(JSON.parse(text), { ...opts, noCollapse });
    const used = process.cpuUsage(c);
    times.push(performance.now() - t);
    cpu.push((used.user + used.system) / 1000);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
  return { ms: median(times), cpuMs: median(cpu), lines: out.split('\n').length, out };
}
const collapsed = measure(false);
const full = measure(true);
console.log(`${nodes} nodes (${(text.length / 1e6).toFixed(1)} MB of JSON), parsed and rendered, median of 5:`);
// CPU time as well as wall time: on a shared machine the wall time is mostly other work.
console.log(`  drover get workflow (loops collapsed): ${collapsed.ms.toFixed(0)} ms (CPU ${collapsed.cpuMs.toFixed(0)} ms), ${collapsed.lines} lines`);
console.log(`  drover get workflow -o wide (every node): ${full.ms.toFixed(0)} ms (CPU ${full.cpuMs.toFixed(0)} ms), ${full.lines} lines`);
if (values.print) console.log(collapsed.out);
