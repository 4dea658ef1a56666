/** Probes: the plan's defaults, the tally's thresholds, and the prober's order on an injected clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../../util/clock.js';
import { harness } from './testkit.js';
import { ContainerProber, ProbeTally, probePlan, runProbeHandler, type ProbeHandler, type ProbeKind, type ProbeResult } from './probes.js';

/** A clock whose timers fire only when the test advances it. */
function manualClock() {
  let now = 0;
  let timers: { at: number; fn: () => void; live: boolean }[] = [];
  const clock: Clock = {
    now: () => now,
    setTimer(ms, fn) {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return () => {
        t.live = false;
      };
    },
  };
  return {
    clock,
    /** Moves time on, firing due timers in order and letting their promises settle. */
    async advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.live && t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        due.live = false;
        now = due.at;
        due.fn();
        for (let i = 0; i < 5; i++) await Promise.resolve();
      }
      now = until;
      timers = timers.filter((t) => t.live);
    },
  };
}

test('a probe plan takes Kubernetes\' defaults and resolves a named port; a port name the container lacks makes a probe that fails every run, as the kubelet\'s', async () => {
  const c: Container = { name: 'm', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/healthz', port: 'http' } }, livenessProbe: { tcpSocket: { port: 9000 }, periodSeconds: 2, failureThreshold: 1 } };
  assert.deepEqual(probePlan(c, 'readiness'), { kind: 'readiness', handler: { http: { scheme: 'HTTP', port: 8080, path: '/healthz', headers: {} } }, initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(probePlan(c, 'liveness')?.handler, { tcp: { port: 9000 } });
  assert.equal(probePlan(c, 'liveness')?.periodMs, 2000);
  assert.equal(probePlan(c, 'startup'), undefined);
  const missing = probePlan({ name: 'm', readinessProbe: { httpGet: { port: 'nope' } } }, 'readiness');
  assert.deepEqual(missing?.handler, { error: "couldn't find port: nope in container m" });
  const target = { podIP: '127.0.0.1', exec: () => Promise.reject(new Error('not run')) };
  assert.deepEqual(await runProbeHandler(target, missing!.handler, 1000), { ok: false, message: "Probe errored: couldn't find port: nope in container m" });
  assert.equal(probePlan({ name: 'm', readinessProbe: {} }, 'readiness'), undefined, 'no handler: no probe');
});

test('the tally: readiness starts failing and turns after successThreshold; liveness starts passing and turns after failureThreshold; one success resets a run of failures', () => {
  const ready = new ProbeTally({ kind: 'readiness', successThreshold: 2, failureThreshold: 2 });
  assert.equal(ready.passing, false);
  assert.equal(ready.record(true), false);
  assert.equal(ready.record(true), true);
  assert.equal(ready.passing, true);
  assert.deepEqual([ready.record(false), ready.record(true), ready.record(false), ready.record(false)], [false, false, false, true]);
  assert.equal(ready.passing, false);
  const live = new ProbeTally({ kind: 'liveness', successThreshold: 1, failureThreshold: 3 });
  assert.equal(live.passing, true);
  assert.deepEqual([live.record(false), live.record(false), live.record(false)], [false, false, true]);
  const startup = new ProbeTally({ kind: 'startup', successThreshold: 1, failureThreshold: 2 });
  assert.deepEqual([startup.record(false), startup.record(false)], [false, true], 'a startup probe that never passed fails at its threshold');
});

function prober(kinds: { kind: ProbeKind; period: number; delay?: number; failureThreshold?: number }[], results: Partial<Record<ProbeKind, boolean[]>>) {
  const m = manualClock();
  const calls: string[] = [];
  const log: string[] = [];
  const plans = kinds.map((k) => ({ kind: k.kind, handler: { tcp: { port: k.kind.length } } as ProbeHandler, initialDelayMs: k.delay ?? 0, periodMs: k.period, timeoutMs: 100, successThreshold: 1, failureThreshold: k.failureThreshold ?? 1 }));
  const kindOf = (h: ProbeHandler) => plans.find((p) => p.handler === h)!.kind;
  const p = new ContainerProber(
    plans,
    async (h): Promise<ProbeResult> => {
      const kind = kindOf(h);
      calls.push(`${m.clock.now()}:${kind}`);
      const next = results[kind]?.shift() ?? true;
      return next ? { ok: true } : { ok: false, message: `${kind} said no` };
    },
    m.clock,
    {
      changed: () => log.push(`changed started=${p.started} ready=${p.ready}`),
      unhealthy: (_k, message) => log.push(`unhealthy: ${message}`),
      failed: (kind, message) => log.push(`failed ${kind}: ${message}`),
    },
  );
  return { p, m, calls, log };
}

test('the prober runs the startup probe alone until it passes, then readiness and liveness on their own periods', async () => {
  const { p, m, calls, log } = prober([{ kind: 'startup', period: 1000, delay: 500, failureThreshold: 5 }, { kind: 'readiness', period: 2000 }, { kind: 'liveness', period: 3000 }], { startup: [false, true], readiness: [false, true] });
  p.start();
  assert.deepEqual([p.started, p.ready], [false, false]);
  await m.advance(1499);
  assert.deepEqual(calls, ['500:startup']);
  assert.deepEqual([p.started, p.ready], [false, false]);
  await m.advance(1);
  assert.deepEqual(calls, ['500:startup', '1500:startup', '1500:readiness', '1500:liveness'], 'the others begin once it passed');
  assert.deepEqual([p.started, p.ready], [true, false], 'started; not ready before its readiness probe passed');
  await m.advance(2000);
  assert.deepEqual(calls.slice(4), ['3500:readiness']);
  assert.equal(p.ready, true);
  assert.deepEqual(log, ['unhealthy: Startup probe failed: startup said no', 'changed started=true ready=false', 'unhealthy: Readiness probe failed: readiness said no', 'changed started=true ready=true']);
  p.stop();
  await m.advance(10_000);
  assert.equal(calls.length, 5, 'no probe after stop');
});

test('a liveness probe that fails its threshold asks for the kill once and stops probing; so does a startup probe that never passes', async () => {
  const live = prober([{ kind: 'liveness', period: 1000, failureThreshold: 2 }], { liveness: [true, false, false] });
  live.p.start();
  await live.m.advance(10_000);
  assert.deepEqual(live.calls, ['0:liveness', '1000:liveness', '2000:liveness']);
  assert.deepEqual(live.log, ['unhealthy: Liveness probe failed: liveness said no', 'failed liveness: Liveness probe failed: liveness said no']);
  const startup = prober([{ kind: 'startup', period: 1000, failureThreshold: 3 }, { kind: 'readiness', period: 1000 }], { startup: [false, false, false] });
  startup.p.start();
  await startup.m.advance(10_000);
  assert.deepEqual(startup.calls, ['0:startup', '1000:startup', '2000:startup'], 'readiness never ran');
  assert.equal(startup.log.at(-1), 'failed startup: Startup probe failed: startup said no');
});

// ---- on the runtime: real sandboxes and processes -------------------------------------------

const server = (port: number, after: number) => `import time, http.server as h\ntime.sleep(${after})\nh.ThreadingHTTPServer(('0.0.0.0', ${port}), h.SimpleHTTPRequestHandler).serve_forever()`;

test('a readiness probe (httpGet on a named port) holds the container and the pod unready until its server answers; the pod is Running meanwhile', async () => {
  const h = await harness();
  try {
    await h.pod('web', {
      containers: [{ name: 'web', image: 'python:3.12', command: ['python3', '-c', server(8080, 1.5)], workingDir: '/tmp', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 } }],
    });
    const running = await h.waitPhase('web', 'Running');
    assert.equal(running.status?.containerStatuses?.[0]?.ready, false, 'not ready before the probe passed');
    assert.equal(running.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    const ready = await h.waitFor('web', (p) => p.status?.containerStatuses?.[0]?.ready === true, 15000, 'the container to be ready');
    assert.equal(ready.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.ok((await h.events('web')).some((e) => e.type === 'Warning' && e.reason === 'Unhealthy' && /^Readiness probe failed: Get "http:\/\/[\d.]+:8080\/": /.test(e.message)), 'the failures before it answered are said once');
  } finally {
    await h.close();
  }
});

test('a liveness probe (exec, inside the container) that fails kills the container, which restarts per the pod\'s policy; a startup probe holds the others back', async () => {
  const h = await harness();
  try {
    // Healthy for its first run only: the second run finds the mark and never makes /tmp/ok.
    const script = 'if [ -e /work/ran ]; then sleep 30; fi; touch /work/ran /tmp/ok; sleep 1.2; rm /tmp/ok; sleep 30';
    await h.pod('alive', {
      restartPolicy: 'OnFailure',
      terminationGracePeriodSeconds: 1,
      volumes: [{ name: 'work', emptyDir: {} }],
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script], volumeMounts: [{ name: 'work', mountPath: '/work' }], startupProbe: { exec: { command: ['test', '-e', '/tmp/ok'] }, periodSeconds: 1, failureThreshold: 30 }, livenessProbe: { exec: { command: ['test', '-e', '/tmp/ok'] }, periodSeconds: 1, failureThreshold: 1 } }],
    });
    const started = await h.waitFor('alive', (p) => p.status?.containerStatuses?.[0]?.started === true, 15000, 'the startup probe to pass');
    assert.equal(started.status?.containerStatuses?.[0]?.restartCount, 0);
    const restarted = await h.waitFor('alive', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 20000, 'a restart after the liveness probe failed');
    assert.ok([137, 143].includes(restarted.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode ?? 0), 'killed');
    const events = await h.events('alive');
    assert.ok(events.some((e) => e.reason === 'Killing' && e.message === 'Container main failed liveness probe, will be restarted'), JSON.stringify(events));
    assert.ok(events.some((e) => e.reason === 'Unhealthy' && e.message.startsWith('Liveness probe failed')));
  } finally {
    await h.close();
  }
});
