/** How a batch/v1 Job is validated: its schema, what Drover implements of it, and the API server's Job rules. */
import { Job } from 'kubernetes-models/batch/v1/Job';
import type { KindValidation } from '../../api/index.js';
import { type FieldPath, type Finding, isRecord } from '../../api/fieldpath.js';
import { type Ctx, checkLabels, error, missing } from '../../api/semantics.js';
import { type Shape, objectShape, ok, onlyValues, reject, rejectTrue, struct } from '../../api/support.js';
import { POD_SPEC, checkPodSpec } from '../core/validate.js';

const POD_FAILURE_POLICY: Shape = {
  rules: struct({
    action: onlyValues(['FailJob', 'Ignore', 'Count'], 'supported: FailJob, Ignore, Count'),
    onExitCodes: ok,
    onPodConditions: {
      decide: (v) => {
        const types = Array.isArray(v) ? v.map((c) => (isRecord(c) ? c['type'] : undefined)) : [];
        // DisruptionTarget never happens locally, so a rule on it can never fire.
        if (types.every((t) => t === 'DisruptionTarget')) return { verdict: 'warn', reason: 'the local runtime never disrupts pods' };
        return { verdict: 'reject', reason: 'only type DisruptionTarget' };
      },
    },
  }),
};

const JOB_SPEC: Shape = {
  parallelism: ok,
  completions: ok,
  completionMode: ok,
  backoffLimit: ok,
  activeDeadlineSeconds: ok,
  podFailurePolicy: struct(POD_FAILURE_POLICY),
  ttlSecondsAfterFinished: ok,
  suspend: ok,
  selector: ok,
  manualSelector: rejectTrue(),
  template: struct({ metadata: ok, spec: struct(POD_SPEC) }),
  // The reserved value names the built-in Job controller, which is what Drover implements.
  managedBy: onlyValues(['kubernetes.io/job-controller']),
  backoffLimitPerIndex: reject(),
  maxFailedIndexes: reject(),
  successPolicy: reject(),
  podReplacementPolicy: reject(),
};

function nonNegative(ctx: Ctx, spec: Record<string, unknown>, path: FieldPath, field: string, min = 0): void {
  const v = spec[field];
  if (typeof v === 'number' && Number.isInteger(v) && v < min) error(ctx, [...path, field], `must be ${min === 0 ? 'zero or more' : `at least ${min}`}, got ${v}`);
}

function checkJob(ctx: Ctx, obj: Record<string, unknown>): void {
  const spec = obj['spec'];
  if (!isRecord(spec)) {
    if (spec === undefined || spec === null) missing(ctx, ['spec']);
    return;
  }
  const path = ['spec'];
  nonNegative(ctx, spec, path, 'parallelism');
  nonNegative(ctx, spec, path, 'completions');
  nonNegative(ctx, spec, path, 'backoffLimit');
  nonNegative(ctx, spec, path, 'ttlSecondsAfterFinished');
  nonNegative(ctx, spec, path, 'activeDeadlineSeconds', 1);
  if (spec['completionMode'] === 'Indexed' && (spec['completions'] === undefined || spec['completions'] === null)) {
    error(ctx, ['spec', 'completions'], 'required when completionMode is Indexed', 'parent');
  }
  const template = spec['template'];
  if (!isRecord(template)) return;
  checkLabels(ctx, isRecord(template['metadata']) ? template['metadata']['labels'] : undefined, ['spec', 'template', 'metadata', 'labels']);
  const podSpec = template['spec'];
  checkPodSpec(ctx, podSpec, ['spec', 'template', 'spec']);
  if (!isRecord(podSpec)) return;
  // Kubernetes refuses the default (Always) for Jobs: a Job's pods must be able to finish.
  const restart = podSpec['restartPolicy'];
  if (restart === undefined || restart === null) {
    error(ctx, ['spec', 'template', 'spec', 'restartPolicy'], 'required field "restartPolicy" is missing (a Job needs "Never" or "OnFailure")', 'parent');
  } else if (restart === 'Always') {
    error(ctx, ['spec', 'template', 'spec', 'restartPolicy'], 'expected "Never" or "OnFailure" for a Job, got "Always"');
  } else if (restart === 'OnFailure' && isRecord(spec['podFailurePolicy'])) {
    error(ctx, ['spec', 'podFailurePolicy'], 'requires spec.template.spec.restartPolicy "Never"', 'key');
  }
}


/** A Job's name becomes a label value on its pods, hence 63 characters. */
export const JOB_VALIDATION: KindValidation = {
  schema: Job,
  support: objectShape(JOB_SPEC),
  name: { maxLength: 63 },
  semantics: (obj) => {
    const ctx: Ctx = { findings: [] as Finding[] };
    checkJob(ctx, obj);
    return ctx.findings;
  },
};
