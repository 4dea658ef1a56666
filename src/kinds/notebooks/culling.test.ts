import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDue, cullDecision, probeFrom, rfc3339 } from './culling.js';

const MIN = 60_000;
const T0 = Date.parse('2026-01-01T10:00:00Z');
const base = { hasPod: true, cullIdleMs: 60 * MIN, checkPeriodMs: MIN };
const STOP = 'kubeflow-resource-stopped';
const LAST = 'notebooks.kubeflow.org/last-activity';
const CHECK = 'notebooks.kubeflow.org/last_activity_check_timestamp';

test('first sight of a running notebook starts both annotations at now and checks again a period later', () => {
  const d = cullDecision({ ...base, annotations: {}, now: T0 }, undefined);
  assert.deepEqual(d, { annotations: { [LAST]: '2026-01-01T10:00:00Z', [CHECK]: '2026-01-01T10:00:00Z' }, stop: false, nextCheckMs: MIN });
});

test('a check is due once a period has passed since the last one', () => {
  const annotations = { [LAST]: rfc3339(T0), [CHECK]: rfc3339(T0) };
  assert.deepEqual(checkDue({ ...base, annotations, now: T0 + 20_000 }), { due: false, waitMs: 40_000 });
  assert.deepEqual(checkDue({ ...base, annotations, now: T0 + MIN }), { due: true });
  assert.deepEqual(checkDue({ ...base, annotations: { ...annotations, [STOP]: 'x' }, now: T0 + MIN }), { due: false });
});

test('the last activity follows the server (never past now) and a notebook within the limit is kept', () => {
  const annotations = { [LAST]: rfc3339(T0), [CHECK]: rfc3339(T0) };
  const d = cullDecision({ ...base, annotations, now: T0 + 30 * MIN }, probeFrom({ last_activity: '2026-01-01T10:20:00.123456Z', kernels: 0 }));
  assert.deepEqual(d, { annotations: { [LAST]: '2026-01-01T10:20:00Z', [CHECK]: '2026-01-01T10:30:00Z' }, stop: false, nextCheckMs: MIN });
  // An older answer does not move it back.
  const older = cullDecision({ ...base, annotations: { ...annotations, [LAST]: '2026-01-01T10:20:00Z' }, now: T0 + 31 * MIN }, probeFrom({ last_activity: '2026-01-01T10:05:00Z' }));
  assert.equal(older.annotations[LAST], undefined);
});

test('idle longer than the cull time: stopped with the time (RFC 3339), as Kubeflow’s culler writes it; exactly at the limit it is kept', () => {
  const annotations = { [LAST]: rfc3339(T0), [CHECK]: rfc3339(T0 + 59 * MIN) };
  const atLimit = cullDecision({ ...base, annotations, now: T0 + 60 * MIN }, probeFrom({ last_activity: rfc3339(T0) }));
  assert.equal(atLimit.stop, false);
  const past = cullDecision({ ...base, annotations, now: T0 + 60 * MIN + 1000 }, probeFrom({ last_activity: rfc3339(T0) }));
  assert.equal(past.stop, true);
  assert.equal(past.annotations[STOP], '2026-01-01T11:00:01Z');
  assert.equal(past.nextCheckMs, undefined);
});

test('a server that does not answer leaves the last activity where it was, so a notebook that never started is culled too', () => {
  const annotations = { [LAST]: rfc3339(T0), [CHECK]: rfc3339(T0 + 60 * MIN) };
  const d = cullDecision({ ...base, annotations, now: T0 + 61 * MIN }, undefined);
  assert.equal(d.stop, true);
  assert.equal(d.annotations[LAST], undefined);
});

test('a busy kernel is activity now, however long the server has been quiet', () => {
  const annotations = { [LAST]: rfc3339(T0), [CHECK]: rfc3339(T0 + 60 * MIN) };
  const probe = probeFrom({ last_activity: rfc3339(T0), kernels: 2 }, [{ execution_state: 'idle' }, { execution_state: 'busy' }]);
  assert.deepEqual(probe, { lastActivity: T0, busy: true, kernels: 2 });
  const d = cullDecision({ ...base, annotations, now: T0 + 90 * MIN }, probe);
  assert.equal(d.stop, false);
  assert.equal(d.annotations[LAST], rfc3339(T0 + 90 * MIN));
  assert.equal(probeFrom({ kernels: 1 }, [{ execution_state: 'idle' }]).busy, false);
});

test('cullIdleTime 0 never stops; a stopped or podless notebook loses its activity annotations', () => {
  const annotations = { [LAST]: rfc3339(T0), [CHECK]: rfc3339(T0) };
  assert.equal(cullDecision({ ...base, cullIdleMs: 0, annotations, now: T0 + 1000 * MIN }, undefined).stop, false);
  assert.deepEqual(cullDecision({ ...base, annotations: { ...annotations, [STOP]: rfc3339(T0) }, now: T0 }, undefined), { annotations: { [LAST]: null, [CHECK]: null }, stop: false });
  assert.deepEqual(cullDecision({ ...base, hasPod: false, annotations, now: T0 }, undefined).annotations, { [LAST]: null, [CHECK]: null });
});
