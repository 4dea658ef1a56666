/**
 * `…/trials/NAME/metrics`: what a trial's pod pushes (Katib's Push collector; the URL is in
 * `DROVER_METRICS_URL`), appended to the observation log; GET reads the log back.
 */
import { BadRequestError, NotFoundError } from '../../api/errors.js';
import type { SubresourceHandler } from '../types.js';
import { KATIB_API_VERSION } from './types.js';

export const trialMetrics: SubresourceHandler = async ({ method, namespace, name, store, body, now }) => {
  const trial = await store.get({ apiVersion: KATIB_API_VERSION, kind: 'Trial', namespace, name });
  if (!trial) throw new NotFoundError('trials.kubeflow.org', name, namespace);
  const uid = trial.metadata.uid!;
  if (method === 'GET') return { metrics: (await store.observationLog(uid)).map((e) => ({ name: e.name, value: e.value, timestamp: e.time })) };
  if (method !== 'POST') throw new BadRequestError(`method ${method} is not allowed on trial metrics`);
  const { metrics } = ((await body()) ?? {}) as { metrics?: unknown };
  if (!Array.isArray(metrics)) throw new BadRequestError('expected {"metrics": [{"name": "...", "value": ...}]}');
  const received = new Date(now()).toISOString();
  const entries = metrics.map((m: unknown, i: number) => {
    const { name, value, timestamp } = (m ?? {}) as { name?: unknown; value?: unknown; timestamp?: unknown };
    if (typeof name !== 'string' || name === '') throw new BadRequestError(`metrics[${i}].name: expected a non-empty string`);
    if (typeof value !== 'string' && typeof value !== 'number') throw new BadRequestError(`metrics[${i}].value: expected a number or a string, got ${JSON.stringify(value)}`);
    if (timestamp !== undefined && (typeof timestamp !== 'string' || !Number.isFinite(Date.parse(timestamp)))) throw new BadRequestError(`metrics[${i}].timestamp: expected an RFC 3339 time, got ${JSON.stringify(timestamp)}`);
    return { source: 'push', name, value: String(value), time: (timestamp as string | undefined) ?? received };
  });
  return { added: await store.appendObservationLog(uid, entries) };
};
