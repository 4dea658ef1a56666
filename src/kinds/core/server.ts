/** The server's half of the core kinds: validation and what the API server fills in. */
import type { PersistentVolumeClaim, Secret } from '../../api/index.js';
import type { FamilyServer } from '../types.js';
import { VALIDATION } from './validate.js';
import { QuotaStatusController } from './quota-controller.js';
import { DefaultServiceAccountController } from './serviceaccount-controller.js';
import { SERVICE_ADMISSION, SERVICE_VALIDATION } from './service.js';
import { ServiceAddressController } from './service-controller.js';
import { EndpointsController } from './endpoints-controller.js';

export { CONTAINER, POD_SPEC, VOLUME, checkPodSpec } from './validate.js';

export const coreServer: FamilyServer = {
  validation: { ...VALIDATION, Service: SERVICE_VALIDATION },
  controllers: (deps) => [
    new QuotaStatusController({ store: deps.store, kinds: deps.kinds, clock: deps.clock, logger: deps.logger.child({ component: 'quota' }) }),
    new DefaultServiceAccountController({ store: deps.store, clock: deps.clock, logger: deps.logger.child({ component: 'serviceaccounts' }) }),
    new EndpointsController({ store: deps.store, clock: deps.clock, logger: deps.logger.child({ component: 'endpoints' }) }),
    // On a cluster the cluster gives each Service its address, and the runtime copies it back.
    ...(deps.runtime.placement === 'node' ? [new ServiceAddressController({ store: deps.store, clock: deps.clock, logger: deps.logger.child({ component: 'services' }), serviceCIDR: deps.config.network.serviceCIDR, ...(deps.runtime.claimClusterIP ? { claim: (ip: string, uid: string) => deps.runtime.claimClusterIP!(ip, uid) } : {}) })] : []),
  ],
  admission: {
    Service: SERVICE_ADMISSION,
    Pod: {
      sourceDir: true,
      podSpecs: (obj) => [{ path: 'spec', spec: obj.spec }],
      /** The ServiceAccount admission plugin: a pod without one runs as its namespace's `default`. */
      defaults(obj) {
        const spec = obj.spec as { serviceAccountName?: string; serviceAccount?: string } | undefined;
        if (!spec) return;
        spec.serviceAccountName ||= spec.serviceAccount || 'default';
        spec.serviceAccount = spec.serviceAccountName;
      },
    },
    Namespace: {
      defaults(obj) {
        obj.status = { phase: 'Active' };
      },
    },
    Secret: {
      /** `stringData` is write-only: merged into `data` as base64, as the API server does. */
      defaults(obj) {
        const secret = obj as Secret & typeof obj;
        if (secret.stringData) {
          const data = { ...(secret.data ?? {}) };
          for (const [k, v] of Object.entries(secret.stringData)) data[k] = Buffer.from(v).toString('base64');
          secret.data = data;
          delete secret.stringData;
        }
        secret.type ??= 'Opaque';
      },
    },
    PersistentVolumeClaim: {
      /** Claims are bound at once: locally a claim is a directory. */
      defaults(obj) {
        const spec = (obj as PersistentVolumeClaim).spec;
        obj.status = { phase: 'Bound', accessModes: spec?.accessModes, capacity: spec?.resources?.requests };
      },
      derive(obj) {
        (obj.spec as Record<string, unknown>).volumeName ??= `pvc-${obj.metadata.uid}`;
      },
      inherit(existing, next) {
        (next.spec as Record<string, unknown>).volumeName ??= (existing.spec as Record<string, unknown>).volumeName;
      },
    },
  },
};
