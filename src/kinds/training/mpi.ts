/**
 * MPIJob (`kubeflow.org/v2beta1`, the MPI Operator v2) as a pure function: from the job, its
 * workers, its launcher Job and what else exists, what to create, update or delete and the status.
 * The controller (mpi-controller.ts) does the I/O.
 *
 * As upstream: workers are pods `<job>-worker-<i>` (sshd by default), reachable as
 * `<job>-worker-<i>.<job>.<ns>.svc` through a headless Service `<job>`; a ConfigMap `<job>-config`
 * holds the `hostfile` (`slots=N` for OpenMPI, `host:N` for Intel MPI and MPICH) and
 * `discover_hosts.sh` (the running workers); a Secret `<job>-ssh` holds an ECDSA P-521 key pair,
 * mounted at `sshAuthMountPath` as id_rsa, id_rsa.pub and authorized_keys; the launcher is a
 * batch/v1 Job `<job>-launcher` made at once (AtStartup) or once every worker is Ready
 * (WaitForWorkersReady), with the MPI implementation's environment. The MPIJob succeeds or fails
 * with its launcher Job; at the end cleanPodPolicy removes workers.
 */
import { generateKeyPairSync } from 'node:crypto';
import { ANNOTATIONS, type EnvVar, type Job, type KubeObject, type Pod, type Stored } from '../../api/types.js';
import { isoSeconds } from '../../util/clock.js';
import { setCondition } from './plan.js';
import { type JobCondition, type ReplicaSpec, type ReplicaStatus, type RunPolicy, type TrainingJobStatus, TRAINING_LABELS } from './types.js';

export const MPI_API_VERSION = 'kubeflow.org/v2beta1';
export const MPI_OPERATOR_NAME = 'mpi-operator';
export const MPI_CONFIG_MOUNT = '/etc/mpi';

export type MPIImplementation = 'OpenMPI' | 'Intel' | 'MPICH';

export interface MPIJobSpec {
  slotsPerWorker?: number;
  runLauncherAsWorker?: boolean;
  runPolicy?: RunPolicy;
  mpiReplicaSpecs: { Launcher?: ReplicaSpec; Worker?: ReplicaSpec };
  sshAuthMountPath?: string;
  launcherCreationPolicy?: 'AtStartup' | 'WaitForWorkersReady';
  mpiImplementation?: MPIImplementation;
}

export type MPIJob = KubeObject & { spec: MPIJobSpec; status?: TrainingJobStatus };

/** The mpi-operator's defaults (SetDefaults_MPIJob), so `get -o yaml` shows what a cluster would. */
export function applyMPIDefaults(job: MPIJob): void {
  const spec = job.spec;
  if (!spec) return;
  spec.runPolicy ??= {};
  spec.runPolicy.cleanPodPolicy ??= 'None';
  spec.slotsPerWorker ??= 1;
  spec.sshAuthMountPath ??= '/root/.ssh';
  spec.mpiImplementation ??= 'OpenMPI';
  spec.launcherCreationPolicy ??= 'AtStartup';
  const { Launcher: launcher, Worker: worker } = spec.mpiReplicaSpecs ?? {};
  if (launcher) {
    launcher.restartPolicy ??= 'OnFailure';
    launcher.replicas ??= 1;
  }
  if (worker) {
    worker.restartPolicy ??= 'Never';
    worker.replicas ??= 0;
  }
}

export const mpiNames = {
  config: (job: string) => `${job}-config`,
  ssh: (job: string) => `${job}-ssh`,
  launcher: (job: string) => `${job}-launcher`,
  worker: (job: string, i: number) => `${job}-worker-${i}`,
};

const workerCount = (job: MPIJob): number => job.spec.mpiReplicaSpecs?.Worker?.replicas ?? 0;
const launcherAsWorker = (job: MPIJob): boolean => job.spec.runLauncherAsWorker === true;

/** `<pod>.<job>.<ns>.svc`: what the hostfile names (the operator's cluster domain left empty, its default). */
function fqdn(job: MPIJob, pod: string, dnsNamespace?: string): string {
  return `${pod}.${job.metadata.name}.${dnsNamespace ?? job.metadata.namespace ?? 'default'}.svc`;
}

/** The hostfile: one line per worker (the launcher first when it runs ranks too). */
export function hostfile(job: MPIJob, dnsNamespace?: string): string {
  const slots = job.spec.slotsPerWorker ?? 1;
  const name = job.metadata.name!;
  const hosts = [...(launcherAsWorker(job) ? [mpiNames.launcher(name)] : []), ...Array.from({ length: workerCount(job) }, (_, i) => mpiNames.worker(name, i))];
  const line = (h: string): string => ((job.spec.mpiImplementation ?? 'OpenMPI') === 'OpenMPI' ? `${fqdn(job, h, dnsNamespace)} slots=${slots}` : `${fqdn(job, h, dnsNamespace)}:${slots}`);
  return hosts.map((h) => `${line(h)}\n`).join('');
}

/** `discover_hosts.sh` (Horovod's elastic discovery): the workers running now, by name. */
export function discoverHosts(job: MPIJob, runningWorkers: string[], dnsNamespace?: string): string {
  const lines = ['#!/bin/sh'];
  if (launcherAsWorker(job)) lines.push(`echo ${fqdn(job, mpiNames.launcher(job.metadata.name!), dnsNamespace)}`);
  for (const p of [...runningWorkers].sort()) lines.push(`echo ${fqdn(job, p, dnsNamespace)}`);
  return lines.join('\n') + '\n';
}

function ownerRef(job: MPIJob) {
  return { apiVersion: MPI_API_VERSION, kind: 'MPIJob', name: job.metadata.name!, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

function childMeta(job: MPIJob, name: string): KubeObject['metadata'] {
  return { name, namespace: job.metadata.namespace!, labels: { app: job.metadata.name! }, ownerReferences: [ownerRef(job)] };
}

export function configMapData(job: MPIJob, runningWorkers: string[], dnsNamespace?: string): Record<string, string> {
  return { hostfile: hostfile(job, dnsNamespace), 'discover_hosts.sh': discoverHosts(job, runningWorkers, dnsNamespace) };
}

export function configMap(job: MPIJob, runningWorkers: string[], dnsNamespace?: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: childMeta(job, mpiNames.config(job.metadata.name!)), data: configMapData(job, runningWorkers, dnsNamespace) } as KubeObject;
}

/** The headless Service `<job>` over the launcher and workers (ready ones only, unless the launcher runs ranks). */
export function jobService(job: MPIJob): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMeta(job, job.metadata.name!),
    spec: {
      clusterIP: 'None',
      selector: { [TRAINING_LABELS.operatorName]: MPI_OPERATOR_NAME, [TRAINING_LABELS.jobName]: job.metadata.name! },
      publishNotReadyAddresses: launcherAsWorker(job),
    },
  } as KubeObject;
}

export interface SSHKeyPair {
  /** PEM, `EC PRIVATE KEY` (SEC 1), as the operator writes it. */
  privateKey: string;
  /** One authorized_keys line, `ecdsa-sha2-nistp521 AAAA…\n`. */
  publicKey: string;
}

/** A fresh ECDSA P-521 key pair in the forms OpenSSH reads (the operator's choice of key). */
export function newSSHKeyPair(): SSHKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-521' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const sshString = (b: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const blob = Buffer.concat([sshString(Buffer.from('ecdsa-sha2-nistp521')), sshString(Buffer.from('nistp521')), sshString(point)]);
  return { privateKey: privateKey.export({ format: 'pem', type: 'sec1' }).toString(), publicKey: `ecdsa-sha2-nistp521 ${blob.toString('base64')}\n` };
}

export function sshSecret(job: MPIJob, keys: SSHKeyPair): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: childMeta(job, mpiNames.ssh(job.metadata.name!)),
    type: 'kubernetes.io/ssh-auth',
    data: { 'ssh-privatekey': Buffer.from(keys.privateKey).toString('base64'), 'ssh-publickey': Buffer.from(keys.publicKey).toString('base64') },
  } as KubeObject;
}

function roleLabels(job: MPIJob, role: 'launcher' | 'worker'): Record<string, string> {
  return { [TRAINING_LABELS.operatorName]: MPI_OPERATOR_NAME, [TRAINING_LABELS.jobName]: job.metadata.name!, [TRAINING_LABELS.jobRole]: role };
}

/** How many of the job's pods the scheduler places together: minAvailable, else the workers and (made at once) the launcher. */
export function mpiGangSize(job: MPIJob): number {
  const min = job.spec.runPolicy?.schedulingPolicy?.minAvailable;
  if (min !== undefined) return min;
  return workerCount(job) + (job.spec.launcherCreationPolicy === 'WaitForWorkersReady' ? 0 : 1);
}

function peerNames(job: MPIJob): string {
  const name = job.metadata.name!;
  const pods = [mpiNames.launcher(name), ...Array.from({ length: workerCount(job) }, (_, i) => mpiNames.worker(name, i))];
  return pods.flatMap((p) => [p, `${p}.${name}`, fqdn(job, p), `${fqdn(job, p)}.cluster.local`]).join(',');
}

function groupAnnotations(job: MPIJob, extra: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {
    ...(extra ?? {}),
    [ANNOTATIONS.podGroup]: job.metadata.name!,
    [ANNOTATIONS.podGroupMinMember]: String(mpiGangSize(job)),
    [ANNOTATIONS.peerHostnames]: peerNames(job),
  };
  const dir = job.metadata.annotations?.[ANNOTATIONS.sourceDir];
  if (dir) out[ANNOTATIONS.sourceDir] = dir;
  return out;
}

/** The SSH key volume on the first container: 0600 where the path is root's, the Secret's default elsewhere (as upstream). */
function mountSSH(job: MPIJob, spec: NonNullable<Pod['spec']>): void {
  const path = job.spec.sshAuthMountPath ?? '/root/.ssh';
  spec.volumes = [
    ...(spec.volumes ?? []),
    {
      name: 'ssh-auth',
      secret: {
        ...(path === '/root/.ssh' ? { defaultMode: 0o600 } : {}),
        secretName: mpiNames.ssh(job.metadata.name!),
        items: [
          { key: 'ssh-privatekey', path: 'id_rsa' },
          { key: 'ssh-publickey', path: 'id_rsa.pub' },
          { key: 'ssh-publickey', path: 'authorized_keys' },
        ],
      },
    },
  ];
  const c = spec.containers[0]!;
  c.volumeMounts = [...(c.volumeMounts ?? []), { name: 'ssh-auth', mountPath: path }];
}

const podRestartPolicy = (r: ReplicaSpec | undefined): 'Always' | 'OnFailure' | 'Never' => (r?.restartPolicy === 'ExitCode' || r?.restartPolicy === undefined ? 'Never' : r.restartPolicy);

export function workerPod(job: MPIJob, index: number, dnsNamespace?: string): Stored<Pod> {
  const name = job.metadata.name!;
  const podName = mpiNames.worker(name, index);
  const template = structuredClone(job.spec.mpiReplicaSpecs.Worker?.template ?? {});
  const labels = { ...(template.metadata?.labels ?? {}), ...roleLabels(job, 'worker'), [TRAINING_LABELS.replicaIndex]: String(launcherAsWorker(job) ? index + 1 : index) };
  const spec = (template.spec ?? { containers: [] }) as NonNullable<Pod['spec']>;
  spec.hostname = podName;
  spec.subdomain = name;
  // Intel MPI and MPICH reach the launcher by its short hostname.
  const search = `${name}.${dnsNamespace ?? job.metadata.namespace ?? 'default'}.svc.cluster.local`;
  spec.dnsConfig = { ...(spec.dnsConfig ?? {}), searches: [...(spec.dnsConfig?.searches ?? []), search] };
  spec.restartPolicy = podRestartPolicy(job.spec.mpiReplicaSpecs.Worker);
  const c = spec.containers[0];
  if (c) {
    if (!c.command?.length && !c.args?.length) c.command = ['/usr/sbin/sshd', '-De'];
    c.env = [...(c.env ?? []), { name: 'K_MPI_JOB_ROLE', value: 'worker' }];
    mountSSH(job, spec);
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName, namespace: job.metadata.namespace!, labels, annotations: groupAnnotations(job, template.metadata?.annotations), ownerReferences: [ownerRef(job)] },
    spec,
    status: { phase: 'Pending' },
  } as Stored<Pod>;
}

/** The launcher's variables for each MPI implementation (hostfile, ssh arguments, slots). */
export function launcherEnv(job: MPIJob): EnvVar[] {
  const hostfilePath = `${MPI_CONFIG_MOUNT}/hostfile`;
  const slots = String(job.spec.slotsPerWorker ?? 1);
  const env: EnvVar[] = [{ name: 'K_MPI_JOB_ROLE', value: 'launcher' }];
  switch (job.spec.mpiImplementation ?? 'OpenMPI') {
    case 'OpenMPI':
      env.push(
        { name: 'OMPI_MCA_orte_keep_fqdn_hostnames', value: 'true' },
        { name: 'OMPI_MCA_orte_default_hostfile', value: hostfilePath },
        { name: 'OMPI_MCA_plm_rsh_args', value: '-o ConnectionAttempts=10' },
        { name: 'OMPI_MCA_orte_set_default_slots', value: slots },
      );
      break;
    case 'Intel':
      env.push(
        { name: 'I_MPI_HYDRA_HOST_FILE', value: hostfilePath },
        { name: 'I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS', value: '-o ConnectionAttempts=10' },
        { name: 'I_MPI_PERHOST', value: slots },
      );
      break;
    case 'MPICH':
      env.push({ name: 'HYDRA_HOST_FILE', value: hostfilePath }, { name: 'HYDRA_LAUNCH_EXTRA_ARGS', value: '-o ConnectionAttempts=10' });
      break;
  }
  // The launcher does not compute: keep GPUs out of its sight unless it runs ranks.
  if (!launcherAsWorker(job)) env.push({ name: 'NVIDIA_VISIBLE_DEVICES' }, { name: 'NVIDIA_DRIVER_CAPABILITIES' });
  return env;
}

/** The launcher as the batch/v1 Job the operator makes (its run policy's deadline, backoff and TTL). */
export function launcherJob(job: MPIJob): Stored<Job> {
  const name = job.metadata.name!;
  const template = structuredClone(job.spec.mpiReplicaSpecs.Launcher?.template ?? {});
  const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}), ...roleLabels(job, 'launcher') };
  if (launcherAsWorker(job)) labels[TRAINING_LABELS.replicaIndex] = '0';
  const spec = (template.spec ?? { containers: [] }) as NonNullable<Pod['spec']>;
  spec.hostname = mpiNames.launcher(name);
  spec.subdomain = name;
  const c = spec.containers[0];
  if (c) {
    c.env = [...(c.env ?? []), ...launcherEnv(job)];
    mountSSH(job, spec);
    spec.volumes = [
      ...(spec.volumes ?? []),
      {
        name: 'mpi-job-config',
        configMap: { name: mpiNames.config(name), items: [{ key: 'hostfile', path: 'hostfile', mode: 0o444 }, { key: 'discover_hosts.sh', path: 'discover_hosts.sh', mode: 0o555 }] },
      },
    ];
    c.volumeMounts = [...(c.volumeMounts ?? []), { name: 'mpi-job-config', mountPath: MPI_CONFIG_MOUNT }];
  }
  spec.restartPolicy = podRestartPolicy(job.spec.mpiReplicaSpecs.Launcher);
  const rp = job.spec.runPolicy ?? {};
  const annotations: Record<string, string> = {};
  const dir = job.metadata.annotations?.[ANNOTATIONS.sourceDir];
  if (dir) annotations[ANNOTATIONS.sourceDir] = dir;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...childMeta(job, mpiNames.launcher(name)), ...(dir ? { annotations } : {}) },
    spec: {
      ...(rp.ttlSecondsAfterFinished !== undefined ? { ttlSecondsAfterFinished: rp.ttlSecondsAfterFinished } : {}),
      ...(rp.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: rp.activeDeadlineSeconds } : {}),
      ...(rp.backoffLimit !== undefined ? { backoffLimit: rp.backoffLimit } : {}),
      ...(rp.suspend ? { suspend: true } : {}),
      template: { metadata: { labels, annotations: groupAnnotations(job, template.metadata?.annotations) }, spec },
    },
  } as Stored<Job>;
}

// ---- one reconcile ---------------------------------------------------------------------------

export interface MPIPlanInput {
  job: MPIJob;
  /** Pods owned by the job with the worker role. */
  workers: Stored<Pod>[];
  launcher?: Stored<Job>;
  /** Pods of the launcher Job. */
  launcherPods: Stored<Pod>[];
  /** The ConfigMap's data, if it exists. */
  configData?: Record<string, string>;
  hasService: boolean;
  hasSecret: boolean;
  /** Whether Services can be made at all (the kind is served). */
  servicesServed: boolean;
  /** The namespace in the DNS names pods resolve, where it is not the job's (the Kubernetes runtime's one namespace). */
  dnsNamespace?: string;
  now: number;
}

export interface MPIEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface MPIPlan {
  service?: KubeObject;
  /** The ConfigMap's data to write; `create` when it does not exist yet. */
  config?: { create: boolean; object: KubeObject };
  secret: boolean;
  createWorkers: Stored<Pod>[];
  deleteWorkers: string[];
  launcher?: Stored<Job>;
  /** The launcher Job's spec.suspend to set. */
  suspendLauncher?: boolean;
  status?: TrainingJobStatus;
  events: MPIEvent[];
}

const isTrue = (conds: { type: string; status: string }[] | undefined, type: string): boolean => !!conds?.some((c) => c.type === type && c.status === 'True');
export const mpiFinished = (s: TrainingJobStatus | undefined): boolean => isTrue(s?.conditions, 'Succeeded') || isTrue(s?.conditions, 'Failed');
const podReady = (p: Pod): boolean => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const indexOf = (p: Pod, job: MPIJob): number => Number(p.metadata?.labels?.[TRAINING_LABELS.replicaIndex] ?? -1) - (launcherAsWorker(job) ? 1 : 0);

/** The Worker replicas' counts by phase, and how many were evicted (both MPIJob versions report them so). */
export function countWorkers(workers: readonly Pod[]): { ws: { active: number; succeeded: number; failed: number }; evicted: number } {
  const ws = { active: 0, succeeded: 0, failed: 0 };
  let evicted = 0;
  for (const p of workers) {
    const phase = p.status?.phase;
    if (phase === 'Failed') {
      ws.failed++;
      if (p.status?.reason === 'Evicted') evicted++;
    } else if (phase === 'Succeeded') ws.succeeded++;
    else if (phase === 'Running') ws.active++;
  }
  return { ws, evicted };
}

/** Decides one reconcile of an MPIJob, as the operator's syncHandler does. */
export function planMPIJob(input: MPIPlanInput): MPIPlan {
  const { job, now } = input;
  const plan: MPIPlan = { secret: false, createWorkers: [], deleteWorkers: [], events: [] };
  const name = job.metadata.name!;
  const ns = job.metadata.namespace ?? 'default';
  const prev = job.status ?? {};
  const status: TrainingJobStatus = structuredClone(prev);
  const cond = (type: JobCondition['type'], st: 'True' | 'False', reason: string, message: string): void => {
    status.conditions = setCondition(status.conditions, { type, status: st, reason, message }, now);
  };
  const rp = job.spec.runPolicy ?? {};
  const suspended = rp.suspend === true;
  const policy = rp.cleanPodPolicy ?? 'None';

  if (!status.conditions?.length) {
    const msg = `MPIJob ${ns}/${name} is created.`;
    cond('Created', 'True', 'MPIJobCreated', msg);
    plan.events.push({ type: 'Normal', reason: 'MPIJobCreated', message: msg });
  }

  // Finished: only cleanPodPolicy's work is left.
  if (mpiFinished(status) && status.completionTime) {
    if (policy === 'All' || policy === 'Running') {
      plan.deleteWorkers = doomedWorkers(input.workers, policy);
      status.replicaStatuses = { ...(status.replicaStatuses ?? {}), Worker: {} };
    }
    return finish(plan, prev, status);
  }
  if (!status.startTime && !suspended) status.startTime = isoSeconds(now);

  const launcher = input.launcher;
  const done = !!launcher && (isTrue(launcher.status?.conditions, 'Complete') || isTrue(launcher.status?.conditions, 'Failed'));
  let workers: Stored<Pod>[] = [];
  if (!done) {
    if (input.servicesServed && !input.hasService) plan.service = jobService(job);
    const running = input.workers.filter((p) => p.status?.phase === 'Running').map((p) => p.metadata.name!);
    const dns = input.dnsNamespace;
    const data = configMapData(job, running, dns);
    if (!input.configData) plan.config = { create: true, object: configMap(job, running, dns) };
    else if (JSON.stringify(sortKeys(input.configData)) !== JSON.stringify(sortKeys(data))) plan.config = { create: false, object: configMap(job, running, dns) };
    plan.secret = !input.hasSecret;
    if (!suspended) {
      const want = workerCount(job);
      for (const p of input.workers) if (indexOf(p, job) >= want) plan.deleteWorkers.push(p.metadata.name!);
      const byName = new Map(input.workers.map((p) => [p.metadata.name!, p]));
      for (let i = 0; i < want; i++) {
        const existing = byName.get(mpiNames.worker(name, i));
        if (existing) workers.push(existing);
        else {
          const pod = workerPod(job, i, input.dnsNamespace);
          plan.createWorkers.push(pod);
          workers.push(pod);
        }
      }
    }
    if (!launcher && (job.spec.launcherCreationPolicy !== 'WaitForWorkersReady' || workers.filter(podReady).length === workers.length)) {
      plan.launcher = launcherJob(job);
    }
  }
  if (launcher) {
    const launcherSuspended = launcher.spec?.suspend === true;
    if (!suspended && launcherSuspended) plan.suspendLauncher = false;
    else if (suspended && !launcherSuspended) plan.suspendLauncher = true;
  }
  if (suspended) {
    plan.deleteWorkers.push(...doomedWorkers(input.workers, policy === 'Running' ? 'Running' : 'All').filter((n) => !plan.deleteWorkers.includes(n)));
    workers = [];
  }

  // Status, as updateMPIJobStatus writes it.
  if (suspended) {
    if (!isTrue(status.conditions, 'Suspended')) {
      cond('Suspended', 'True', 'MPIJobSuspended', 'MPIJob suspended');
      plan.events.push({ type: 'Normal', reason: 'MPIJobSuspended', message: 'MPIJob suspended' });
    }
  } else if (status.conditions?.some((c) => c.type === 'Suspended' && c.status === 'True')) {
    cond('Suspended', 'False', 'MPIJobResumed', 'MPIJob resumed');
    plan.events.push({ type: 'Normal', reason: 'MPIJobResumed', message: 'MPIJob resumed' });
    status.startTime = isoSeconds(now);
  }
  const replicaStatuses: Record<string, ReplicaStatus> = { ...(status.replicaStatuses ?? {}) };
  let launcherRunning = 0;
  if (launcher) {
    launcherRunning = input.launcherPods.filter((p) => p.status?.phase === 'Running').length;
    const ls: ReplicaStatus = nonZero({ failed: launcher.status?.failed ?? 0 });
    if (isTrue(launcher.status?.conditions, 'Complete')) {
      ls.succeeded = 1;
      const msg = `MPIJob ${ns}/${name} successfully completed.`;
      if (!isTrue(status.conditions, 'Succeeded')) plan.events.push({ type: 'Normal', reason: 'MPIJobSucceeded', message: msg });
      status.completionTime ??= launcher.status?.completionTime ?? isoSeconds(now);
      cond('Succeeded', 'True', 'MPIJobSucceeded', msg);
    } else if (isTrue(launcher.status?.conditions, 'Failed')) {
      const failed = launcher.status!.conditions!.find((c) => c.type === 'Failed' && c.status === 'True')!;
      let reason = failed.reason || 'MPIJobFailed';
      let msg = failed.message || `MPIJob ${ns}/${name} has failed`;
      if (reason === 'BackoffLimitExceeded') {
        const last = input.launcherPods.filter((p) => p.status?.phase === 'Failed').sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '')).pop();
        if (last) {
          reason += `/${last.status?.reason ?? ''}`;
          msg += `: ${last.status?.message ?? ''}`;
        }
      }
      if (!isTrue(status.conditions, 'Failed')) plan.events.push({ type: 'Warning', reason, message: msg });
      status.completionTime ??= isoSeconds(now);
      cond('Failed', 'True', reason, msg);
    } else if (launcherRunning) ls.active = launcherRunning;
    replicaStatuses['Launcher'] = ls;
  }
  const { ws, evicted } = countWorkers(workers);
  replicaStatuses['Worker'] = nonZero(ws);
  status.replicaStatuses = replicaStatuses;
  if (evicted > 0) {
    const msg = `${evicted}/${workers.length} workers are evicted`;
    if (!isTrue(status.conditions, 'Failed')) plan.events.push({ type: 'Warning', reason: 'MPIJobEvicted', message: msg });
    cond('Failed', 'True', 'MPIJobEvicted', msg);
  }
  if (suspended) {
    cond('Running', 'False', 'MPIJobSuspended', `MPIJob ${ns}/${name} is suspended.`);
  } else if (mpiFinished(status)) {
    if (!status.conditions?.some((c) => c.type === 'Running')) {
      const at = status.completionTime ?? isoSeconds(now);
      status.conditions!.push({ type: 'Running', status: 'False', reason: 'MPIJobRunning', message: `MPIJob ${ns}/${name} is finished but Running condition was never set.`, lastUpdateTime: at, lastTransitionTime: at });
    }
  } else if (launcher && launcherRunning >= 1 && ws.active === workers.length) {
    if (!isTrue(status.conditions, 'Running')) plan.events.push({ type: 'Normal', reason: 'MPIJobRunning', message: `MPIJob ${ns}/${name} is running` });
    cond('Running', 'True', 'MPIJobRunning', `MPIJob ${ns}/${name} is running.`);
  }
  return finish(plan, prev, status);
}

/** The workers cleanPodPolicy removes: Running keeps those that ended (a pending one may still start). */
function doomedWorkers(workers: Stored<Pod>[], policy: 'All' | 'Running'): string[] {
  return workers.filter((p) => policy === 'All' || p.status?.phase === 'Running' || p.status?.phase === 'Pending' || p.status?.phase === undefined).map((p) => p.metadata.name!);
}

function nonZero(s: ReplicaStatus): ReplicaStatus {
  // As the operator's JSON (omitempty): zero counts are left out.
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== 0)) as ReplicaStatus;
}

function sortKeys(o: Record<string, string>): [string, string][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

function finish(plan: MPIPlan, prev: TrainingJobStatus, status: TrainingJobStatus): MPIPlan {
  if (JSON.stringify(prev) !== JSON.stringify(status)) plan.status = status;
  return plan;
}
