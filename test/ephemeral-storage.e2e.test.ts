/**
 * Eviction over ephemeral-storage limits with real containers: a pod that fills an emptyDir past
 * its containers' total limit, and a container that fills its writable layer past its own, each
 * end Failed with the kubelet's reason and message and a Warning event.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Drover, sleep } from './drover.js';

interface PodStatus {
  status?: { phase?: string; reason?: string; message?: string; containerStatuses?: { name: string; state?: { terminated?: { exitCode?: number } } }[] };
}

const pods = `apiVersion: v1
kind: Pod
metadata: { name: fills-scratch }
spec:
  restartPolicy: Never
  volumes: [{ name: scratch, emptyDir: {} }]
  containers:
  - name: main
    image: busybox
    workingDir: /
    command: [sh, -c, "dd if=/dev/zero of=/scratch/fill bs=1M count=24 && sleep 120"]
    resources: { limits: { ephemeral-storage: 8Mi } }
    volumeMounts: [{ name: scratch, mountPath: /scratch }]
---
apiVersion: v1
kind: Pod
metadata: { name: fills-layer }
spec:
  restartPolicy: Never
  containers:
  - name: writer
    image: busybox
    workingDir: /
    command: [sh, -c, "dd if=/dev/zero of=/var/tmp/fill bs=1M count=24 && sleep 120"]
    resources: { limits: { ephemeral-storage: 8Mi } }
  - name: idle
    image: busybox
    workingDir: /
    command: [sleep, "120"]
    resources: { limits: { ephemeral-storage: 100Mi } }
`;

test('a pod past its ephemeral-storage limits is evicted with the kubelet\'s reason and message: the pod\'s total (an emptyDir), and one container\'s own (its writable layer)', { timeout: 120_000 }, async () => {
  const d = await Drover.start();
  try {
    await d.ok(['apply', '-f', '-'], pods);
    const ended = async (name: string) => {
      for (let i = 0; i < 300; i++) {
        const p = await d.json<PodStatus>(['get', 'pod', name]);
        // The phase is written as the kill begins; the containers' ends follow as each exits.
        const stopped = (p.status?.containerStatuses ?? []).every((c) => c.state?.terminated);
        if ((p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded') && stopped) return p;
        await sleep(200);
      }
      assert.fail(`${name} did not end:\n${await d.ok(['describe', 'pod', name])}`);
    };
    const scratch = await ended('fills-scratch');
    assert.equal(scratch.status?.phase, 'Failed');
    assert.equal(scratch.status?.reason, 'Evicted');
    assert.equal(scratch.status?.message, 'Pod ephemeral local storage usage exceeds the total limit of containers 8Mi. ');
    const layer = await ended('fills-layer');
    assert.equal(layer.status?.phase, 'Failed');
    assert.equal(layer.status?.reason, 'Evicted');
    assert.equal(layer.status?.message, 'Container writer exceeded its local ephemeral storage limit "8Mi". ');
    // Every container was stopped, the idle one too.
    for (const c of layer.status?.containerStatuses ?? []) assert.ok(c.state?.terminated, `${c.name} terminated`);
    const events = (await d.json<{ items: { involvedObject: { name: string }; type: string; reason: string; message: string }[] }>(['get', 'events'])).items;
    const evicted = events.filter((e) => e.reason === 'Evicted').map((e) => `${e.involvedObject.name} ${e.type}: ${e.message}`).sort();
    assert.deepEqual(evicted, [
      'fills-layer Warning: Container writer exceeded its local ephemeral storage limit "8Mi". ',
      'fills-scratch Warning: Pod ephemeral local storage usage exceeds the total limit of containers 8Mi. ',
    ]);
    const described = await d.ok(['describe', 'pod', 'fills-scratch']);
    assert.match(described, /Reason:\s+Evicted/);
  } finally {
    await d.stop();
  }
});
