/**
 * How MPIJobs (`kubeflow.org/v2beta1`, the MPI Operator v2) are validated: the CRD's structure
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

function checkMPIJob(obj: Record<string, unknown>): Finding[] {
  const ctx: Ctx = { findings: [] };
  const spec = obj['spec'];
  if (spec === undefined) {
    report(ctx, ['spec'], 'required field "spec" is missing', 'parent');
    return ctx.findings;
  }
  walkStructure(ctx.findings, spec, MPI_SPEC, ['spec']);
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
  if (worker) {
    // The operator defaults a Worker's replicas to 0 and then refuses 0: say so here instead.
    if (worker['replicas'] === undefined) report(ctx, ['spec', 'mpiReplicaSpecs', 'Worker'], 'required field "replicas" is missing (the operator defaults it to 0, which is invalid: must be greater than or equal to 1)', 'key');
    else if (typeof worker['replicas'] === 'number' && worker['replicas'] <= 0) report(ctx, ['spec', 'mpiReplicaSpecs', 'Worker', 'replicas'], `must be greater than or equal to 1, got ${worker['replicas']}`);
  }
  return ctx.findings;
}

export const MPI_VALIDATION: Readonly<Record<string, KindValidation>> = {
  MPIJob: { support: { apiVersion: ok, kind: ok, metadata: ok, status: ok, spec: ok }, name: { maxLength: 63 }, semantics: checkMPIJob },
};
