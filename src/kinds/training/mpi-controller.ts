/**
 * The MPIJob controller (kubeflow.org/v2beta1): one level-triggered reconcile per job (mpi.ts
 * decides, this file does the I/O): the headless Service, the hostfile ConfigMap, the SSH Secret,
 * the worker pods, the launcher Job (through admission, as a user's Job), status and events. After
 * a restart it converges from what exists, so running workers and the launcher are adopted.
 */
import type { KindTable } from '../../api/kinds.js';
import type { Job, KubeObject, Pod, Stored } from '../../api/types.js';
import { AlreadyExistsError, ForbiddenError } from '../../api/errors.js';
import { Informer, type Store } from '../../store/index.js';
import { WorkQueue, type ReconcileResult } from '../../store/queue.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { type MPIJob, MPI_API_VERSION, mpiNames, newSSHKeyPair, planMPIJob, sshSecret } from './mpi.js';
import { TRAINING_LABELS } from './types.js';
import { MPI_V1_OPERATOR_NAME, isV1MPIJob, launcherRBAC, planMPIJobV1 } from './mpi-v1.js';

const RETRY_MS = 5000;

export interface MPIControllerOptions {
  store: Store;
  kinds: KindTable;
  clock: Clock;
  logger: Logger;
  /** Admission as for a user's object: the launcher Job gets the API server's defaults. */
  admit(obj: KubeObject): KubeObject;
  /** The namespace in the DNS names pods resolve, for a job's namespace (PodRuntime.dnsNamespace). */
  dnsNamespace?: (namespace: string) => string;
  /** Pods run on this machine (a v1 launcher links the machine's kubectl instead of an image delivering it). */
  local?: boolean;
}

export class MPIJobController {
  private readonly jobs: Informer<Stored<MPIJob>>;
  private readonly pods: Informer<Stored<Pod>>;
  private readonly batchJobs: Informer<Stored<Job>>;
  private readonly queue: WorkQueue;
  private readonly servicesServed: boolean;

  constructor(private readonly o: MPIControllerOptions) {
    this.jobs = new Informer(o.store, { apiVersion: MPI_API_VERSION, kind: 'MPIJob' });
    this.pods = new Informer(o.store, { apiVersion: 'v1', kind: 'Pod' });
    this.batchJobs = new Informer(o.store, { apiVersion: 'batch/v1', kind: 'Job' });
    this.servicesServed = !!o.kinds.of('v1', 'Service');
    this.queue = new WorkQueue('mpijob-controller', (k) => this.reconcile(k), o.clock, o.logger);
  }

  async start(): Promise<void> {
    this.jobs.onChange((e) => this.queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`));
    this.batchJobs.onChange((e) => {
      const owner = e.object.metadata.ownerReferences?.find((r) => r.controller && r.apiVersion === MPI_API_VERSION && r.kind === 'MPIJob');
      if (owner) this.queue.add(`${e.object.metadata.namespace}/${owner.name}`);
    });
    this.pods.onChange((e) => {
      const labels = e.object.metadata.labels ?? {};
      // Workers and launcher pods both carry the job's name; the operator label says they are ours.
      const operator = labels[TRAINING_LABELS.operatorName];
      if ((operator === 'mpi-operator' || operator === MPI_V1_OPERATOR_NAME) && labels[TRAINING_LABELS.jobName]) this.queue.add(`${e.object.metadata.namespace}/${labels[TRAINING_LABELS.jobName]}`);
    });
    await this.pods.start();
    await this.batchJobs.start();
    await this.jobs.start();
  }

  stop(): void {
    this.queue.stop();
    this.jobs.stop();
    this.pods.stop();
    this.batchJobs.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const [namespace, name] = key.split('/') as [string, string];
    const job = this.jobs.get(namespace, name);
    if (!job || job.metadata.deletionTimestamp) return;
    if (isV1MPIJob(job)) return this.reconcileV1(job);
    const uid = job.metadata.uid;
    const ownedBy = (o: KubeObject, id: string | undefined): boolean => o.metadata.namespace === namespace && !!o.metadata.ownerReferences?.some((r) => r.uid === id);
    const workers = this.pods.list().filter((p) => ownedBy(p, uid) && p.metadata.labels?.[TRAINING_LABELS.jobRole] === 'worker');
    const launcher = this.batchJobs.get(namespace, mpiNames.launcher(name));
    const ours = launcher && ownedBy(launcher, uid) ? launcher : undefined;
    const launcherPods = ours ? this.pods.list().filter((p) => ownedBy(p, ours.metadata.uid)) : [];
    const get = (kind: string, n: string) => this.o.store.get<KubeObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind, namespace, name: n });
    const cm = await get('ConfigMap', mpiNames.config(name));
    const secret = await get('Secret', mpiNames.ssh(name));
    const svc = this.servicesServed ? await get('Service', name) : undefined;
    const plan = planMPIJob({
      job,
      workers,
      ...(ours ? { launcher: ours } : {}),
      launcherPods,
      ...(cm ? { configData: cm.data ?? {} } : {}),
      hasService: !!svc,
      hasSecret: !!secret,
      servicesServed: this.servicesServed,
      ...(this.o.dnsNamespace ? { dnsNamespace: this.o.dnsNamespace(namespace) } : {}),
      now: this.o.clock.now(),
    });
    const ref = { apiVersion: MPI_API_VERSION, kind: 'MPIJob', namespace, name };

    for (const n of plan.deleteWorkers) await this.remove({ apiVersion: 'v1', kind: 'Pod', namespace, name: n });
    if (plan.service) await this.createQuietly(plan.service);
    if (plan.config) {
      const data = (plan.config.object as unknown as { data: Record<string, string> }).data;
      if (plan.config.create) await this.createQuietly(plan.config.object);
      else await this.o.store.patch<KubeObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: mpiNames.config(name) }, (c) => void (c.data = data)).catch(() => undefined);
    }
    if (plan.secret) await this.createQuietly(sshSecret(job, newSSHKeyPair()));
    if (plan.suspendLauncher !== undefined) {
      const suspend = plan.suspendLauncher;
      await this.o.store.patch<Stored<Job>>({ apiVersion: 'batch/v1', kind: 'Job', namespace, name: mpiNames.launcher(name) }, (j) => void (j.spec!.suspend = suspend)).catch(() => undefined);
    }
    if (plan.status) {
      const status = plan.status;
      try {
        await this.o.store.patch<Stored<MPIJob>>(ref, (j) => {
          if (j.metadata.uid !== uid) return false;
          j.status = status;
        });
      } catch {
        return; // Deleted meanwhile.
      }
    }
    for (const e of plan.events) await this.event(job, e.type, e.reason, e.message);
    let requeue: number | undefined;
    for (const pod of plan.createWorkers) {
      try {
        await this.o.store.create(pod);
      } catch (err) {
        if (err instanceof AlreadyExistsError) continue; // the old pod is still being deleted: next time
        if (!(err instanceof ForbiddenError)) throw err;
        await this.event(job, 'Warning', 'MPIJobFailed', `worker pod created failed: ${err.message}`);
        requeue = RETRY_MS;
        break;
      }
    }
    if (plan.launcher && !(await this.createLauncher(job, plan.launcher))) requeue = RETRY_MS;
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  /** A job written as kubeflow.org/v1: the Training Operator v1's objects and status (mpi-v1.ts). */
  private async reconcileV1(job: Stored<MPIJob>): Promise<ReconcileResult | void> {
    const namespace = job.metadata.namespace!;
    const name = job.metadata.name!;
    const uid = job.metadata.uid;
    const owned = (p: KubeObject): boolean => p.metadata.namespace === namespace && !!p.metadata.ownerReferences?.some((r) => r.uid === uid);
    const pods = this.pods.list().filter(owned);
    const workers = pods.filter((p) => p.metadata.labels?.[TRAINING_LABELS.replicaType] === 'worker');
    const launcher = pods.find((p) => p.metadata.name === mpiNames.launcher(name));
    const get = (apiVersion: string, kind: string, n: string) => this.o.store.get<KubeObject & { data?: Record<string, string> }>({ apiVersion, kind, namespace, name: n });
    const cm = await get('v1', 'ConfigMap', mpiNames.config(name));
    const rbacNames = launcherRBAC(job);
    const plan = planMPIJobV1({
      job,
      workers,
      ...(launcher ? { launcher } : {}),
      ...(cm ? { configData: cm.data ?? {} } : {}),
      rbac: {
        serviceAccount: !!(await get('v1', 'ServiceAccount', rbacNames.serviceAccount.metadata.name!)),
        role: !!(await get('rbac.authorization.k8s.io/v1', 'Role', rbacNames.role.metadata.name!)),
        roleBinding: !!(await get('rbac.authorization.k8s.io/v1', 'RoleBinding', rbacNames.roleBinding.metadata.name!)),
      },
      local: this.o.local ?? true,
      now: this.o.clock.now(),
    });
    const ref = { apiVersion: MPI_API_VERSION, kind: 'MPIJob', namespace, name };
    for (const n of plan.deletePods) await this.remove({ apiVersion: 'v1', kind: 'Pod', namespace, name: n });
    if (plan.config) {
      const data = (plan.config.object as unknown as { data: Record<string, string> }).data;
      if (plan.config.create) await this.createQuietly(plan.config.object);
      else await this.o.store.patch<KubeObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: mpiNames.config(name) }, (c) => void (c.data = data)).catch(() => undefined);
    }
    for (const o of plan.rbac) await this.createQuietly(o);
    if (plan.status) {
      const status = plan.status;
      try {
        await this.o.store.patch<Stored<MPIJob>>(ref, (j) => {
          if (j.metadata.uid !== uid) return false;
          j.status = status;
        });
      } catch {
        return; // Deleted meanwhile.
      }
    }
    for (const e of plan.events) await this.event(job, e.type, e.reason, e.message);
    if (plan.deleteJob) {
      await this.remove(ref);
      return;
    }
    let requeue = plan.requeueAfterMs;
    for (const pod of plan.createWorkers) {
      try {
        await this.o.store.create(pod);
        await this.event(job, 'Normal', 'SuccessfulCreatePod', `Created worker pod: ${pod.metadata.name}`);
      } catch (err) {
        if (err instanceof AlreadyExistsError) continue;
        if (!(err instanceof ForbiddenError)) throw err;
        await this.event(job, 'Warning', 'FailedCreatePod', `Error creating: ${err.message}`);
        requeue = RETRY_MS;
        break;
      }
    }
    if (plan.launcher && !(await this.createLauncher(job, plan.launcher))) requeue = RETRY_MS;
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  /** Creates the launcher (either version's); false, with an event saying why, when the store refused it. */
  private async createLauncher(job: Stored<MPIJob>, launcher: KubeObject): Promise<boolean> {
    try {
      await this.o.store.create(this.o.admit(launcher));
    } catch (err) {
      if (err instanceof AlreadyExistsError) return true;
      await this.event(job, 'Warning', 'MPIJobFailed', `launcher pod created failed: ${(err as Error).message}`);
      return false;
    }
    return true;
  }

  private async createQuietly(obj: KubeObject): Promise<void> {
    try {
      await this.o.store.create(obj);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }

  private async remove(ref: { apiVersion: string; kind: string; namespace: string; name: string }): Promise<void> {
    try {
      await this.o.store.delete(ref);
    } catch {
      // Already gone.
    }
  }

  private async event(job: Stored<MPIJob>, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      await this.o.store.recordEvent({ involved: job, type, reason, message, source: 'mpi-job-controller' });
    } catch {
      // The job was deleted meanwhile.
    }
  }
}
