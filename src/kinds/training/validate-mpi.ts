/**
 * How MPIJobs (`kubeflow.org/v2beta1`, the MPI Operator v2; `kubeflow.org/v1`, the Training
 * Operator's, with its own fields and webhook rules) are validated: the CRD's structure
 * (unknown fields, types, enums), the operator's own rules (a Launcher of one replica, workers of at
 * least one, restartPolicy Never or OnFailure, names that stay DNS labels as `<job>-worker-<n>`),
 * and each replica's template as the Pod it becomes, with paths into the job for file:line errors.
 */
import type { Finding } from '../../api/fieldpath.js';
import { isRecord } from '../../api/fieldpath.js';
import type { KindValidation } from '../../api/manifests.js';
import { ok } from '../../api/support.js';
import { type StructSpec, S_BOOLEAN, S_INTEGER, S_STRING, field, object, oneOf, walkStructure } from '../../api/structure.js';
import { type Ctx, DNS_1035, checkTemplate, report, runPolicySpec } from './validate.js';

const MPI_REPLICA: StructSpec = object({
  replicas: field(S_INTEGER),
  // The operator accepts only these two; ExitCode and Always are the training operator's.
  restartPolicy: field(oneOf(['Never', 'OnFailure'])),
  template: field({ t: 'any' }, { required: true }),
});

const MPI_SPEC: StructSpec = object({
  slotsPerWorker: field(S_INTEGER, { min: 0 }),
  runLauncherAsWorker: field(S_BOOLEAN),
  runPolicy: field(runPolicySpec('kubeflow.org/mpi-operator')),
  mpiReplicaSpecs: field(object({ Launcher: field(MPI_REPLICA, { required: true }), Worker: field(MPI_REPLICA) }), { required: true }),
  sshAuthMountPath: field(S_STRING),
  launcherCreationPolicy: field(oneOf(['AtStartup', 'WaitForWorkersReady'])),
  mpiImplementation: field(oneOf(['OpenMPI', 'Intel', 'MPICH'])),
});

/** The Training Operator v1's MPIJob (kubeflow.org/v1): its restart policies include ExitCode and Always. */
const MPI_V1_REPLICA: StructSpec = object({
  replicas: field(S_INTEGER),
  restartPolicy: field(oneOf(['Always', 'OnFailure', 'Never', 'ExitCode'])),
  template: field({ t: 'any' }, { required: true }),
});

const MPI_V1_SPEC: StructSpec = object({
  slotsPerWorker: field(S_INTEGER, { min: 0 }),
  cleanPodPolicy: field(oneOf(['All', 'Running', 'None'])),
  mainContainer: field(S_STRING),
  runPolicy: field(runPolicySpec('kubeflow.org/mpi-operator')),
  mpiReplicaSpecs: field(object({ Launcher: field(MPI_V1_REPLICA, { required: true }), Worker: field(MPI_V1_REPLICA) }), { required: true }),
});

function checkMPIJob(obj: Record<string, unknown>): Finding[] {
  const ctx: Ctx = { findings: [] };
  const spec = obj['spec'];
  if (spec === undefined) {
    report(ctx, ['spec'], 'required field "spec" is missing', 'parent');
    return ctx.findings;
  }
  const v1 = obj['apiVersion'] === 'kubeflow.org/v1';
  walkStructure(ctx.findings, spec, v1 ? MPI_V1_SPEC : MPI_SPEC, ['spec']);
  if (!isRecord(spec)) return ctx.findings;
  const specs = isRecord(spec['mpiReplicaSpecs']) ? spec['mpiReplicaSpecs'] : {};
  const worker = isRecord(specs['Worker']) ? specs['Worker'] : undefined;
  const workers = typeof worker?.['replicas'] === 'number' ? worker['replicas'] : 0;
  // Upstream: the last worker's name must still be a DNS-1035 label (it is the pod's hostname).
  const name = isRecord(obj['metadata']) ? obj['metadata']['name'] : undefined;
  if (typeof name === 'string') {
    const last = `${name}-worker-${Math.max(workers, 1) - 1}`;
    if (!DNS_1035.test(last) || last.length > 63) report(ctx, ['metadata', 'name'], `will not be able to create pod and service with invalid DNS label ${JSON.stringify(last)}: at most 63 lower case alphanumeric characters or '-', starting with a letter`);
  }
  for (const type of ['Launcher', 'Worker'] as const) {
    const r = specs[type];
    if (!isRecord(r)) continue;
    const path = ['spec', 'mpiReplicaSpecs', type];
    checkTemplate(ctx, r['template'], [...path, 'template']);
    const containers = isRecord(r['template']) && isRecord(r['template']['spec']) ? r['template']['spec']['containers'] : undefined;
    if (Array.isArray(containers) && containers.length === 0) report(ctx, [...path, 'template', 'spec', 'containers'], 'must define at least one container');
  }
  const launcher = specs['Launcher'];
  if (isRecord(launcher) && launcher['replicas'] !== undefined && launcher['replicas'] !== 1) report(ctx, ['spec', 'mpiReplicaSpecs', 'Launcher', 'replicas'], `must be 1, got ${JSON.stringify(launcher['replicas'])}`);
  if (v1) {
    // The v1 webhook: every container named and with an image; a worker may have 0 replicas.
    for (const type of ['Launcher', 'Worker'] as const) {
      const r = specs[type];
      const containers = isRecord(r) && isRecord(r['template']) && isRecord(r['template']['spec']) ? r['template']['spec']['containers'] : undefined;
      if (Array.isArray(containers)) {
        containers.forEach((c, i) => {
          if (isRecord(c) && !c['image']) report(ctx, ['spec', 'mpiReplicaSpecs', type, 'template', 'spec', 'containers', i], `MPIReplicaSpec is not valid: Image is undefined in the container of ${type}`, 'key');
        });
      }
    }
    if (runSuspend(spec)) report(ctx, ['spec', 'runPolicy', 'suspend'], 'suspending a kubeflow.org/v1 MPIJob is not supported here: use kubeflow.org/v2beta1, or delete the job');
    return ctx.findings;
  }
  if (worker) {
    // The operator defaults a Worker's replicas to 0 and then refuses 0: say so here instead.
    if (worker['replicas'] === undefined) report(ctx, ['spec', 'mpiReplicaSpecs', 'Worker'], 'required field "replicas" is missing (the operator defaults it to 0, which is invalid: must be greater than or equal to 1)', 'key');
    else if (typeof worker['replicas'] === 'number' && worker['replicas'] <= 0) report(ctx, ['spec', 'mpiReplicaSpecs', 'Worker', 'replicas'], `must be greater than or equal to 1, got ${worker['replicas']}`);
  }
  return ctx.findings;
}

function runSuspend(spec: Record<string, unknown>): boolean {
  return isRecord(spec['runPolicy']) && spec['runPolicy']['suspend'] === true;
}

export const MPI_VALIDATION: Readonly<Record<string, KindValidation>> = {
  MPIJob: { support: { apiVersion: ok, kind: ok, metadata: ok, status: ok, spec: ok }, name: { maxLength: 63 }, semantics: checkMPIJob },
};
