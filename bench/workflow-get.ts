/**
 * `drover get workflow` of a wide workflow: the time to render `argo get`'s output (header and
 * tree) for a finished fan-out/fan-in of N tasks, built by the real pass.
 *
 *   node dist/bench/workflow-get.js [--tasks 10000]
 */
import { parseArgs } from 'node:util';
import { Sim } from '../src/kinds/workflows/testkit.js';
import { renderWorkflow } from '../src/kinds/workflows/cli/tree.js';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '10000' } } });
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
const t = performance.now();
const wf = JSON.parse(text);
const out = renderWorkflow(wf, { now: Date.parse('2026-01-01T01:00:00Z'), tzOffsetMinutes: 0 });
const ms = performance.now() - t;
console.log(`${nodes} nodes (${(text.length / 1e6).toFixed(1)} MB of JSON): parsed and rendered in ${ms.toFixed(0)} ms, ${out.split('\n').length} lines`);
