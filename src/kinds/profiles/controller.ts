/**
 * Makes each Profile so: its namespace (owned by the profile, so deleting the profile deletes the
 * namespace and everything in it), the owner bound to `kubeflow-admin` there, and the
 * `kf-resource-quota` ResourceQuota when the profile sets one, and the `default-editor` and
 * `default-viewer` ServiceAccounts with their bindings (service-accounts.ts). A namespace that exists and is not
 * the profile's is left alone and the profile says so.
 */
import type { KubeObject } from '../../api/types.js';
import { AlreadyExistsError, NotFoundError } from '../../api/errors.js';
import { Informer, type Store } from '../../store/index.js';
import { WorkQueue } from '../../store/queue.js';
import type { Clock } from '../../util/clock.js';
import { isoSeconds } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { Controller } from '../types.js';
import { contributorBinding, OWNER_BINDING } from './contributors.js';
import { ensureNamespaceAccounts } from './service-accounts.js';

export interface Profile extends KubeObject {
  spec?: { owner?: { kind?: string; name?: string }; resourceQuotaSpec?: { hard?: Record<string, string> } };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[] };
}

export const QUOTA_NAME = 'kf-resource-quota';

export class ProfileController implements Controller {
  private readonly profiles: Informer<Profile>;
  private readonly queue: WorkQueue;

  constructor(private readonly o: { store: Store; clock: Clock; logger: Logger }) {
    this.profiles = new Informer(o.store, { apiVersion: 'kubeflow.org/v1', kind: 'Profile' });
    this.queue = new WorkQueue('profile-controller', (k) => this.reconcile(k), o.clock, o.logger);
    this.profiles.onChange((e) => e.type !== 'DELETED' && this.queue.add(e.object.metadata.name!));
  }

  async start(): Promise<void> {
    await this.profiles.start();
  }

  stop(): void {
    this.queue.stop();
    this.profiles.stop();
  }

  private async reconcile(name: string): Promise<void> {
    const profile = this.profiles.get('', name);
    if (!profile?.metadata.uid) return;
    const owner = profile.spec?.owner?.name ?? '';
    const store = this.o.store;
    const ownerRef = { apiVersion: 'kubeflow.org/v1', kind: 'Profile', name, uid: profile.metadata.uid, controller: true, blockOwnerDeletion: true };
    const nsRef = { apiVersion: 'v1', kind: 'Namespace', namespace: '', name };
    const ns = await store.get(nsRef);
    if (ns && !(ns.metadata.ownerReferences ?? []).some((r) => r.uid === profile.metadata.uid)) {
      return this.setReady(profile, 'False', 'NamespaceExists', `namespace "${name}" already exists and does not belong to this profile; choose another name`);
    }
    const annotations = { owner };
    const labels = { 'app.kubernetes.io/part-of': 'kubeflow-profile' };
    if (!ns) {
      await this.createIgnoringExisting({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations, ownerReferences: [ownerRef] }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    } else if (ns.metadata.annotations?.['owner'] !== owner) {
      await store.patch(nsRef, (n) => void (n.metadata.annotations = { ...(n.metadata.annotations ?? {}), ...annotations }));
    }

    // The owner's binding follows the profile's owner.
    const binding = contributorBinding(name, owner, 'admin', OWNER_BINDING);
    binding.metadata.ownerReferences = [ownerRef];
    const bindingRef = { apiVersion: binding.apiVersion, kind: binding.kind, namespace: name, name: OWNER_BINDING };
    const existing = await store.get(bindingRef);
    if (!existing) await this.createIgnoringExisting(binding);
    else if (JSON.stringify(existing['subjects']) !== JSON.stringify(binding['subjects'])) {
      await store.patch(bindingRef, (b) => {
        b['subjects'] = binding['subjects'];
        b.metadata.annotations = binding.metadata.annotations;
      });
    }

    await ensureNamespaceAccounts(store, name, ownerRef);

    const quotaRef = { apiVersion: 'v1', kind: 'ResourceQuota', namespace: name, name: QUOTA_NAME };
    const hard = profile.spec?.resourceQuotaSpec?.hard;
    const quota = await store.get(quotaRef);
    if (hard && Object.keys(hard).length > 0) {
      if (!quota) await this.createIgnoringExisting({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: QUOTA_NAME, namespace: name, ownerReferences: [ownerRef] }, spec: { hard } });
      else if (JSON.stringify((quota['spec'] as { hard?: unknown } | undefined)?.hard) !== JSON.stringify(hard)) await store.patch(quotaRef, (q) => void (q['spec'] = { hard }));
    } else if (quota) {
      await store.delete(quotaRef).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
    }
    await this.setReady(profile, 'True', 'Ready', `namespace "${name}" is ready; ${owner} is its admin`);
  }

  private async createIgnoringExisting(obj: KubeObject): Promise<void> {
    try {
      await this.o.store.create(obj);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }

  private async setReady(profile: Profile, status: 'True' | 'False', reason: string, message: string): Promise<void> {
    const now = profile.status?.conditions?.find((c) => c.type === 'Ready');
    if (now?.status === status && now.reason === reason && now.message === message) return;
    const conditions = [{ type: 'Ready', status, reason, message, lastTransitionTime: now?.status === status && now.lastTransitionTime ? now.lastTransitionTime : isoSeconds(this.o.clock.now()) }];
    await this.o.store.patch<Profile>({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', namespace: '', name: profile.metadata.name! }, (p) => void (p.status = { ...(p.status ?? {}), conditions }));
  }
}
