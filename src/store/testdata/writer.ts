// Test helper process: writes ConfigMaps forever, printing each name after its create() returned.
import { openSqliteStore } from '../index.js';
import { KINDS } from '../../registry.js';

const store = await openSqliteStore(process.argv[2]!, { kinds: KINDS });
for (let i = 0; ; i++) {
  const name = `cm-${i}`;
  await store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } });
  process.stdout.write(name + '\n');
  // A store call may finish without giving the event loop a turn; stdout to a socket (how the
  // test reads it) is written only when the loop turns, so give it one after each name.
  await new Promise((resolve) => setImmediate(resolve));
}
