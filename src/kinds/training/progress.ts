/**
 * A TrainJob's progress, pushed by its own pods (Kubeflow Trainer's TrainJob status server):
 * `POST …/trainjobs/NAME/trainerstatus` with `{"trainerStatus": {progressPercentage,
 * estimatedRemainingSeconds, metrics: [{name, value}], lastUpdatedTime}}` lands in the TrainJob's
 * `status.trainerStatus`. The Kubeflow SDK's `update_trainjob_status` sends exactly that to the
 * URL in `KUBEFLOW_TRAINER_SERVER_URL`, with the token in the file `KUBEFLOW_TRAINER_SERVER_TOKEN`
 * names; Drover mounts a token good for that one path only (./trainjob.ts).
 */
import { BadRequestError, NotFoundError, ValidationError } from '../../api/errors.js';
import type { FieldIssue } from '../../api/errors.js';
import { isRecord } from '../../api/fieldpath.js';
import type { Stored } from '../../api/types.js';
import type { SubresourceHandler } from '../types.js';
import { isoSeconds } from '../../util/clock.js';
import { TRAINER_API_VERSION, type TrainJob, type TrainerStatus } from './trainjob.js';

/** The SDK truncates to this many metrics; more is refused rather than stored. */
const MAX_METRICS = 256;
const MAX_TEXT = 1024;

/** The body's `trainerStatus`, checked field by field as the CRD's schema would. */
export function parseTrainerStatus(body: unknown, now: number): TrainerStatus {
  const issues: FieldIssue[] = [];
  const s = isRecord(body) ? body['trainerStatus'] : undefined;
  if (!isRecord(s)) throw new BadRequestError('expected {"trainerStatus": {"progressPercentage": …, "metrics": [{"name": …, "value": "…"}]}}');
  const out: TrainerStatus = { lastUpdatedTime: isoSeconds(now) };
  for (const key of Object.keys(s)) {
    if (!['progressPercentage', 'estimatedRemainingSeconds', 'metrics', 'lastUpdatedTime'].includes(key)) issues.push({ path: `trainerStatus.${key}`, message: 'unknown field' });
  }
  const int = (key: 'progressPercentage' | 'estimatedRemainingSeconds', max: number) => {
    const v = s[key];
    if (v === undefined || v === null) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) issues.push({ path: `trainerStatus.${key}`, message: `expected an integer from 0 to ${max}, got ${JSON.stringify(v)}` });
    else out[key] = v;
  };
  int('progressPercentage', 100);
  int('estimatedRemainingSeconds', 2 ** 31 - 1);
  const metrics = s['metrics'];
  if (metrics !== undefined && metrics !== null) {
    if (!Array.isArray(metrics)) issues.push({ path: 'trainerStatus.metrics', message: 'expected a list of {name, value}' });
    else if (metrics.length > MAX_METRICS) issues.push({ path: 'trainerStatus.metrics', message: `at most ${MAX_METRICS} metrics, got ${metrics.length}` });
    else {
      out.metrics = [];
      metrics.forEach((m, i) => {
        const name = isRecord(m) ? m['name'] : undefined;
        const value = isRecord(m) ? m['value'] : undefined;
        if (typeof name !== 'string' || name === '' || name.length > MAX_TEXT) issues.push({ path: `trainerStatus.metrics[${i}].name`, message: 'expected a non-empty string' });
        else if (typeof value !== 'string' || value === '' || value.length > MAX_TEXT) issues.push({ path: `trainerStatus.metrics[${i}].value`, message: `expected a non-empty string (values travel as strings), got ${JSON.stringify(value)}` });
        else out.metrics!.push({ name, value });
      });
    }
  }
  const when = s['lastUpdatedTime'];
  if (when !== undefined && when !== null) {
    if (typeof when !== 'string' || !Number.isFinite(Date.parse(when))) issues.push({ path: 'trainerStatus.lastUpdatedTime', message: `expected an RFC 3339 time, got ${JSON.stringify(when)}` });
    else out.lastUpdatedTime = when;
  }
  if (issues.length) throw new ValidationError(issues);
  return out;
}

export const trainerStatusPush: SubresourceHandler = async ({ method, namespace, name, store, body, now }) => {
  if (method === 'GET') {
    const job = await store.get<Stored<TrainJob>>({ apiVersion: TRAINER_API_VERSION, kind: 'TrainJob', namespace, name });
    if (!job) throw new NotFoundError('trainjobs.trainer.kubeflow.org', name, namespace);
    return { trainerStatus: job.status?.trainerStatus ?? {} };
  }
  if (method !== 'POST') throw new BadRequestError(`method ${method} is not allowed on a TrainJob's trainerstatus: POST {"trainerStatus": …}`);
  const next = parseTrainerStatus(await body(), now());
  try {
    await store.patch<Stored<TrainJob>>({ apiVersion: TRAINER_API_VERSION, kind: 'TrainJob', namespace, name }, (j) => {
      j.status = { ...(j.status ?? {}), trainerStatus: next };
    });
  } catch (err) {
    throw err instanceof NotFoundError ? new NotFoundError('trainjobs.trainer.kubeflow.org', name, namespace) : err;
  }
  return { trainerStatus: next };
};
