/**
 * The TrainJob controller: resolves each TrainJob's runtime (TrainingRuntime in its namespace, or
 * ClusterTrainingRuntime), lets planTrainJob decide, and does the writes. Level-triggered: pods
 * that survived a restart are adopted by name.
 */
import type { KindTable } from '../../api/kinds.js';
import type { KubeObject, Pod, Stored } from '../../api/types.js';
import { AlreadyExistsError, ForbiddenError } from '../../api/errors.js';
import { Informer, type Store } from '../../store/index.js';
import { WorkQueue, type ReconcileResult } from '../../store/queue.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { newSSHKeyPair } from './mpi.js';
import { mpiHostfileName, mpiSSHSecretName, sharedClaimName } from './trainjob-runtime.js';
import { TRAINER_API_VERSION, type TrainJob, type TrainingRuntime, planTrainJob, statusTokenSecretName, trainerStatusPath } from './trainjob.js';

export class TrainJobController {
  private readonly jobs: Informer<Stored<TrainJob>>;
  private readonly runtimes: Informer<Stored<TrainingRuntime>>;
  private readonly clusterRuntimes: Informer<Stored<TrainingRuntime>>;
  private readonly pods: Informer<Stored<Pod>>;
  private readonly services: Informer<Stored<KubeObject>> | undefined;
  private readonly queue: WorkQueue;
  /** Token Secrets known to exist (made, or found made), so each reconcile does not try again. */
  private readonly secrets = new Set<string>();

  constructor(private readonly o: { store: Store; kinds: KindTable; clock: Clock; logger: Logger; apiUrl?: () => string; podToken?: (path: string) => string; admit?: (obj: KubeObject) => KubeObject }) {
    this.jobs = new Informer(o.store, { apiVersion: TRAINER_API_VERSION, kind: 'TrainJob' });
    this.runtimes = new Informer(o.store, { apiVersion: TRAINER_API_VERSION, kind: 'TrainingRuntime' });
    this.clusterRuntimes = new Informer(o.store, { apiVersion: TRAINER_API_VERSION, kind: 'ClusterTrainingRuntime' });
    this.pods = new Informer(o.store, { apiVersion: 'v1', kind: 'Pod' });
    this.services = o.kinds.of('v1', 'Service') ? new Informer(o.store, { apiVersion: 'v1', kind: 'Service' }) : undefined;
    this.queue = new WorkQueue('trainjob-controller', (k) => this.reconcile(k), o.clock, o.logger);
  }

  async start(): Promise<void> {
    const key = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
    this.jobs.onChange((e) => this.queue.add(key(e.object)));
    // A runtime applied after its TrainJob (or changed) wakes every TrainJob.
    const all = () => {
      for (const j of this.jobs.list()) this.queue.add(key(j));
    };
    this.runtimes.onChange(all);
    this.clusterRuntimes.onChange(all);
    const owned = (e: { object: KubeObject }) => {
      const owner = e.object.metadata.ownerReferences?.find((r) => r.controller && r.apiVersion === TRAINER_API_VERSION && r.kind === 'TrainJob');
      if (owner) this.queue.add(`${e.object.metadata.namespace}/${owner.name}`);
    };
    this.pods.onChange(owned);
    this.services?.onChange(owned);
    await this.pods.start();
    await this.services?.start();
    await this.runtimes.start();
    await this.clusterRuntimes.start();
    await this.jobs.start();
  }

  stop(): void {
    this.queue.stop();
    for (const i of [this.jobs, this.runtimes, this.clusterRuntimes, this.pods]) i.stop();
    this.services?.stop();
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const [namespace, name] = key.split('/') as [string, string];
    const job = this.jobs.get(namespace, name);
    if (!job) return;
    const ref = job.spec.runtimeRef;
    const runtime = (ref.kind ?? 'ClusterTrainingRuntime') === 'TrainingRuntime' ? this.runtimes.get(namespace, ref.name) : this.clusterRuntimes.get('', ref.name);
    const mine = <T extends KubeObject>(list: T[]) => list.filter((o) => o.metadata.namespace === namespace && o.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid));
    const statusServer = await this.statusServer(job);
    // An MPI runtime's hostfile and keys, volumeClaimPolicies' claims: made once, read here so a reconcile knows they exist.
    const owned: string[] = [];
    const wanted: [string, string][] = [];
    if (runtime?.spec.mlPolicy?.mpi) wanted.push(['ConfigMap', mpiHostfileName(name)], ['Secret', mpiSSHSecretName(name)]);
    for (const p of runtime?.spec.template?.spec?.volumeClaimPolicies ?? []) {
      for (const t of p.templates ?? []) if (t.metadata?.name) wanted.push(['PersistentVolumeClaim', sharedClaimName(t.metadata.name, name)]);
    }
    for (const [kind, n] of wanted) if (await this.o.store.get({ apiVersion: 'v1', kind, namespace, name: n })) owned.push(n);
    const plan = planTrainJob({
      job, runtime, pods: mine(this.pods.list()), owned, services: this.services ? mine(this.services.list()).map((s) => s.metadata.name!) : [],
      servicesServed: this.services !== undefined, now: this.o.clock.now(), ...(statusServer ? { statusServer } : {}),
    });
    for (const n of plan.deletePods) {
      try {
        await this.o.store.delete({ apiVersion: 'v1', kind: 'Pod', namespace, name: n });
      } catch {
        // Already gone.
      }
    }
    if (plan.status) {
      const status = plan.status;
      try {
        await this.o.store.patch<Stored<TrainJob>>({ apiVersion: TRAINER_API_VERSION, kind: 'TrainJob', namespace, name }, (j) => {
          if (j.metadata.uid !== job.metadata.uid) return false;
          // What the pods pushed meanwhile is theirs: the plan never decides it.
          const pushed = j.status?.trainerStatus;
          j.status = { ...status, ...(pushed ? { trainerStatus: pushed } : {}) };
        });
      } catch {
        return;
      }
    }
    for (const e of plan.events) await this.event(job, e.type, e.reason, e.message);
    const owner = { apiVersion: TRAINER_API_VERSION, kind: 'TrainJob', name, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true };
    if (plan.sshSecret) {
      // As the trainer's MPI plugin: an immutable kubernetes.io/ssh-auth Secret with a fresh ECDSA key.
      const keys = newSSHKeyPair();
      plan.services.unshift({
        apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/ssh-auth', immutable: true,
        metadata: { name: plan.sshSecret, namespace, ownerReferences: [owner] },
        data: { 'ssh-privatekey': Buffer.from(keys.privateKey).toString('base64'), 'ssh-publickey': Buffer.from(keys.publicKey).toString('base64') },
      });
    }
    for (const obj of [...plan.configMaps, ...plan.services] as KubeObject[]) {
      try {
        // A claim goes through admission as a user's would (its defaults, quota).
        await this.o.store.create(obj.kind === 'PersistentVolumeClaim' && this.o.admit ? this.o.admit(obj) : obj);
      } catch (err) {
        if (err instanceof AlreadyExistsError) continue;
        if (obj.kind !== 'PersistentVolumeClaim') throw err;
        await this.event(job, 'Warning', 'FailedCreatePVC', `Failed to create PVC ${obj.metadata.name}: ${(err as Error).message}`);
      }
    }
    let requeue = plan.requeueAfterMs;
    for (const pod of plan.create) {
      try {
        await this.o.store.create(pod);
      } catch (err) {
        if (err instanceof AlreadyExistsError) continue;
        if (!(err instanceof ForbiddenError)) throw err;
        await this.event(job, 'Warning', 'FailedCreate', `Error creating: ${err.message}`);
        requeue = 5000;
        break;
      }
    }
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  /**
   * The push URL and the Secret of its token, made before the first pod (which mounts it); none
   * where the server cannot tell pods its address (a controller run without an API).
   */
  private async statusServer(job: Stored<TrainJob>): Promise<{ url: string; secretName: string } | undefined> {
    if (!this.o.apiUrl || !this.o.podToken || !this.o.kinds.of('v1', 'Secret')) return undefined;
    const ns = job.metadata.namespace!;
    const path = trainerStatusPath(ns, job.metadata.name!);
    const secretName = statusTokenSecretName(job.metadata.name!);
    if (!this.secrets.has(`${ns}/${secretName}`)) {
      try {
        await this.o.store.create({
          apiVersion: 'v1', kind: 'Secret',
          metadata: { name: secretName, namespace: ns, ownerReferences: [{ apiVersion: TRAINER_API_VERSION, kind: 'TrainJob', name: job.metadata.name!, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }] },
          type: 'Opaque',
          data: { token: Buffer.from(this.o.podToken(path)).toString('base64') },
        } as KubeObject);
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
      }
      this.secrets.add(`${ns}/${secretName}`);
    }
    return { url: `${this.o.apiUrl()}${path}`, secretName };
  }

  private async event(job: Stored<TrainJob>, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      await this.o.store.recordEvent({ involved: job, type, reason, message, source: 'trainjob-controller' });
    } catch {
      // Deleted meanwhile.
    }
  }
}
