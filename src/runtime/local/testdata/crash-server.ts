/**
 * A throwaway server for the crash test: opens the store in `home`, creates the pods it is told
 * to, runs them with the local runtime, prints `running` once they run, and waits to be killed -9.
 *
 *   node crash-server.js <home> <cgroupParent> <podsJson>
 */
import { join } from 'node:path';
import type { KubeObject } from '../../../api/index.js';
import { openSqliteStore } from '../../../store/index.js';
import { systemClock } from '../../../util/clock.js';
import { silentLogger } from '../../../util/logger.js';
import { LocalPodRuntime } from '../index.js';
import { KINDS } from '../../../registry.js';

const [home, cgroupParent, podsJson] = process.argv.slice(2) as [string, string, string];
const store = await openSqliteStore(join(home, 'state.db'), { kinds: KINDS });
const rt = new LocalPodRuntime({ home, gpuIds: [], cgroupParent, pollIntervalMs: 50 });
await rt.start({ store, nodeName: 'local', clock: systemClock, logger: silentLogger });
const pods = JSON.parse(podsJson) as KubeObject[];
for (const p of pods) await store.create(p);
for (;;) {
  const list = await store.list({ apiVersion: 'v1', kind: 'Pod' });
  if (list.items.every((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running')) break;
  await new Promise((r) => setTimeout(r, 20));
}
process.stdout.write('running\n');
setInterval(() => undefined, 1000);
