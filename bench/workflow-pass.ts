/**
 * The pure pass alone (no store, no pods), on a fan-out of N tasks at parallelism P: the mean time
 * of one pass while one pod ends per pass, as the controller would see it. Flat in N is the goal.
 *
 *   node dist/bench/workflow-pass.js [--tasks 1000] [--parallelism 16] [--passes 400]
 */
import { parseArgs } from 'node:util';
import { Sim } from '../src/kinds/workflows/testkit.js';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '1000' }, parallelism: { type: 'string', default: '16' }, passes: { type: 'string', default: '400' } } });
const tasks = Number(values.tasks);
const sim = new Sim(`
spec:
  entrypoint: main
  parallelism: ${Number(values.parallelism)}
  podGC: {strategy: OnPodSuccess}
  templates:
  - name: main
    dag:
      tasks:
      - {name: fan, template: noop, withSequence: {count: "${tasks}"}}
      - {name: collect, depends: fan, template: noop}
  - name: noop
    container: {image: busybox, command: ["true"]}
`);
sim.checkNodes = false;
// Half-way through, where the status is as large as it gets while pods still run.
const warm = Math.floor(tasks / 2);
let passes = 0;
const step = (): void => {
  sim.pass();
  passes++;
  const r = sim.running()[0];
  if (r) sim.end(r.metadata!.annotations!['workflows.argoproj.io/node-name']!);
};
while (passes < warm) step();
const n = Math.min(Number(values.passes), tasks - warm);
const t = performance.now();
for (let i = 0; i < n; i++) step();
const ms = (performance.now() - t) / n;
console.log(`${tasks} tasks, parallelism ${values.parallelism}: ${ms.toFixed(3)} ms per pass (${n} passes from pass ${warm})`);
