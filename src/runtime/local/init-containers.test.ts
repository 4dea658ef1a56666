/**
 * Init containers and sidecars (init containers with restartPolicy Always) on the local runtime:
 * real sandboxes and processes, as runtime.test.ts. What is checked is what a kubelet does: init
 * containers one at a time before the others, a failure retried or ending the pod, sidecars
 * started first, kept running, and stopped once the regular containers have ended.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatus, Pod } from '../../api/index.js';
import { harness } from './testkit.js';

const work = { name: 'work', emptyDir: {} };
const at = { volumeMounts: [{ name: 'work', mountPath: '/work' }] };
const sh = (name: string, script: string, extra: Record<string, unknown> = {}) => ({ name, image: 'busybox', command: ['sh', '-c', script], ...at, ...extra });
const statusOf = (p: Pod, name: string): ContainerStatus | undefined => [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].find((s) => s.name === name);
const conditionOf = (p: Pod, type: string) => p.status?.conditions?.find((c) => c.type === type);

test('init containers run one at a time in order, each to its end, before the regular containers; the pod is Pending and not Initialized meanwhile', async () => {
  const h = await harness();
  try {
    await h.pod('ordered', {
      volumes: [work],
      initContainers: [sh('first', 'sleep 0.6; echo first >> /work/order'), sh('second', 'echo second >> /work/order')],
      containers: [sh('main', 'echo main >> /work/order; cat /work/order')],
    });
    const initializing = await h.waitFor('ordered', (p) => statusOf(p, 'first')?.state?.running !== undefined, 15000, 'the first init container to run');
    assert.equal(initializing.status?.phase, 'Pending');
    assert.deepEqual([conditionOf(initializing, 'Initialized')?.status, conditionOf(initializing, 'Initialized')?.reason, conditionOf(initializing, 'Initialized')?.message], ['False', 'ContainersNotInitialized', 'containers with incomplete status: [first second]']);
    assert.equal(statusOf(initializing, 'second')?.state?.waiting?.reason, 'PodInitializing');
    assert.equal(statusOf(initializing, 'main')?.state?.waiting?.reason, 'PodInitializing');
    const done = await h.waitPhase('ordered', 'Succeeded');
    assert.deepEqual(done.status?.initContainerStatuses?.map((s) => [s.name, s.state?.terminated?.exitCode, s.state?.terminated?.reason, s.ready]), [['first', 0, 'Completed', true], ['second', 0, 'Completed', true]], 'in the spec\'s order');
    assert.equal(conditionOf(done, 'Initialized')?.status, 'True');
    assert.equal(await h.logs(done, { container: 'main' }), 'first\nsecond\nmain\n');
    const first = Date.parse(statusOf(done, 'first')!.state!.terminated!.finishedAt!);
    assert.ok(Date.parse(statusOf(done, 'main')!.state!.terminated!.startedAt!) >= first, 'main started after the init containers ended');
  } finally {
    await h.close();
  }
});

test('a failed init container ends the pod Failed under restartPolicy Never, and the regular containers never run', async () => {
  const h = await harness();
  try {
    await h.pod('initfails', { volumes: [work], initContainers: [sh('setup', 'echo cannot >&2; exit 3')], containers: [sh('main', 'echo ran > /work/ran')] });
    const failed = await h.waitPhase('initfails', 'Failed');
    assert.deepEqual([statusOf(failed, 'setup')?.state?.terminated?.exitCode, statusOf(failed, 'setup')?.state?.terminated?.reason], [3, 'Error']);
    assert.equal(statusOf(failed, 'main')?.state?.waiting?.reason, 'PodInitializing', 'never started');
    assert.equal(conditionOf(failed, 'Initialized')?.status, 'False');
    assert.equal(await h.logs(failed, { container: 'setup' }), 'cannot\n');
  } finally {
    await h.close();
  }
});

test('under restartPolicy OnFailure a failed init container is run again until it succeeds, then the pod goes on', async () => {
  const h = await harness();
  try {
    // Fails on its first run only: the emptyDir outlives the attempt.
    await h.pod('retried', { restartPolicy: 'OnFailure', volumes: [work], initContainers: [sh('flaky', '[ -e /work/tried ] || { touch /work/tried; exit 1; }')], containers: [sh('main', 'echo main')] });
    const done = await h.waitPhase('retried', 'Succeeded');
    const flaky = statusOf(done, 'flaky')!;
    assert.equal(flaky.restartCount, 1);
    assert.deepEqual([flaky.lastState?.terminated?.exitCode, flaky.state?.terminated?.exitCode], [1, 0]);
    assert.ok((await h.events('retried')).some((e) => e.reason === 'BackOff' && e.message.includes('flaky')));
  } finally {
    await h.close();
  }
});

test('a sidecar starts before the init containers after it, runs beside the regular container, is run again when it ends, and is stopped (SIGTERM) once the regular container has ended', async () => {
  const h = await harness();
  try {
    const sidecar = sh('proxy', 'echo up >> /work/proxy; trap "echo stopped >> /work/proxy; exit 0" TERM; while :; do sleep 0.05; done', { restartPolicy: 'Always' });
    // `after` waits for the sidecar's mark: it would wait forever were the sidecar not running
    // beside it (started is not ready: the kubelet, without a startup probe, does not wait for more).
    // Ends at once on its first run: the kubelet runs a sidecar again whatever its exit code.
    const crashy = sh('crashy', '[ -e /work/crashed ] || { touch /work/crashed; exit 2; }; while :; do sleep 0.05; done', { restartPolicy: 'Always' });
    await h.pod('withsidecar', {
      volumes: [work],
      initContainers: [sidecar, sh('after', 'until grep -q up /work/proxy 2>/dev/null; do sleep 0.05; done'), crashy],
      containers: [sh('main', 'sleep 0.3; cat /work/proxy')],
    });
    const running = await h.waitPhase('withsidecar', 'Running');
    assert.equal(statusOf(running, 'proxy')?.started, true);
    const done = await h.waitPhase('withsidecar', 'Succeeded');
    assert.equal(await h.logs(done, { container: 'main' }), 'up\n', 'the init container after the sidecar saw it up; main ran beside it');
    assert.equal(statusOf(done, 'after')?.state?.terminated?.exitCode, 0);
    for (const name of ['proxy', 'crashy']) assert.ok(statusOf(done, name)?.state?.terminated, `${name} was stopped`);
    assert.ok((statusOf(done, 'crashy')?.restartCount ?? 0) >= 1, 'the sidecar that ended was run again');
    const events = await h.events('withsidecar');
    assert.ok(events.some((e) => e.reason === 'Killing' && e.message === 'Stopping container proxy'));
    // Its trap ran: it was asked to stop (SIGTERM), not killed outright.
    assert.equal(statusOf(done, 'proxy')?.state?.terminated?.exitCode, 0, 'its TERM trap exited 0');
    assert.equal(conditionOf(done, 'Initialized')?.status, 'True');
  } finally {
    await h.close();
  }
});

test('a server restart while an init container runs adopts it: it runs once, and the pod goes on to its end', async () => {
  const h = await harness();
  try {
    await h.pod('adopted', { volumes: [work], initContainers: [sh('slow', 'echo run >> /work/runs; sleep 1')], containers: [sh('main', 'cat /work/runs')] });
    await h.waitFor('adopted', (p) => statusOf(p, 'slow')?.state?.running !== undefined, 15000, 'the init container to run');
    await h.restart();
    const done = await h.waitPhase('adopted', 'Succeeded');
    assert.equal(await h.logs(done, { container: 'main' }), 'run\n', 'the init container ran exactly once');
    assert.equal(statusOf(done, 'slow')?.restartCount, 0);
  } finally {
    await h.close();
  }
});
