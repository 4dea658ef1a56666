// Test helper process: writes ConfigMaps forever, printing each name after its create() returned.
import { openSqliteStore } from '../index.js';

const store = await openSqliteStore(process.argv[2]!);
for (let i = 0; ; i++) {
  const name = `cm-${i}`;
  await store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } });
  process.stdout.write(name + '\n');
}
