/** What the API server does to a batch/v1 Job between validation and storage. */
import { isDeepStrictEqual } from 'node:util';
import { LABELS, type Job, type KubeObject } from '../../api/index.js';
import type { KindAdmission } from '../types.js';

type JobObject = KubeObject & Job;

/** The labels Kubernetes puts on a Job's pod template from its uid and name. */
const DERIVED_LABELS: readonly string[] = [LABELS.batchControllerUid, LABELS.batchJobName, LABELS.controllerUid, LABELS.jobName];

export const JOB_ADMISSION: KindAdmission = {
  sourceDir: true,
  podSpecs: (obj) => [{ path: 'spec.template.spec', spec: (obj as JobObject).spec?.template?.spec }],

  /** The API server's defaults, so `get -o json` shows what a cluster would. */
  defaults(obj) {
    const spec = (obj as JobObject).spec!;
    if (spec.completions === undefined && spec.parallelism === undefined) {
      spec.completions = 1;
      spec.parallelism = 1;
    }
    spec.parallelism ??= 1;
    spec.backoffLimit ??= 6;
    spec.completionMode ??= 'NonIndexed';
    spec.suspend ??= false;
    const pod = spec.template.spec;
    if (pod) {
      pod.restartPolicy ??= 'Never';
      pod.terminationGracePeriodSeconds ??= 30;
      pod.schedulerName ??= 'default-scheduler';
    }
  },

  /** The selector and template labels (`controller-uid`) Kubernetes derives from the uid. */
  derive(obj) {
    const uid = obj.metadata.uid!;
    const spec = (obj as JobObject).spec!;
    const name = obj.metadata.name ?? '';
    spec.selector ??= { matchLabels: { [LABELS.batchControllerUid]: uid } };
    spec.template.metadata = {
      ...(spec.template.metadata ?? {}),
      labels: { ...(spec.template.metadata?.labels ?? {}), [LABELS.batchControllerUid]: uid, [LABELS.batchJobName]: name, [LABELS.controllerUid]: uid, [LABELS.jobName]: name },
    };
  },

  inherit(existing, next) {
    const prev = (existing as JobObject).spec!;
    const spec = (next as JobObject).spec!;
    spec.selector ??= prev.selector;
    const derived = Object.fromEntries(Object.entries(prev.template.metadata?.labels ?? {}).filter(([k]) => DERIVED_LABELS.includes(k)));
    spec.template.metadata = { ...(spec.template.metadata ?? {}), labels: { ...(spec.template.metadata?.labels ?? {}), ...derived } };
  },

  /** Fields of a Job that Kubernetes does not let `apply` change once created. */
  immutableChange(prev, next) {
    const p = prev.spec as Job['spec'];
    const n = next.spec as Job['spec'];
    // By value: a client that read the Job and sends it back may order its keys otherwise.
    if (!isDeepStrictEqual(p?.template, n?.template)) return 'spec.template';
    if (p?.completions !== n?.completions) return 'spec.completions';
    if (p?.completionMode !== n?.completionMode) return 'spec.completionMode';
    return undefined;
  },
};
