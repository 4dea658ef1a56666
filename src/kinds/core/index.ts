/**
 * The core kinds: Namespaces, ConfigMaps, Secrets, claims, Pods, Services, ResourceQuotas, and the Nodes and Events Drover
 * itself writes. Other families build on them (a Job's template is a pod spec).
 *
 *   import { core } from './kinds/core/index.js'; // listed in src/registry.ts
 */
import { defineKind } from '../../api/kinds.js';
import type { KindFamily } from '../types.js';
import { quotaPrinter } from './cli/quota.js';
import { configMapPrinter, eventPrinter, namespacePrinter, nodePrinter, podPrinter, podWait, pvcPrinter, secretPrinter, servicePrinter, endpointsPrinter } from './cli/columns.js';
import { configMapDescriber, namespaceDescriber, nodeDescriber, podDescriber, pvcDescriber, secretDescriber } from './cli/describe.js';

export const core: KindFamily = {
  name: 'core',
  kinds: [
    { info: defineKind('v1', 'Namespace', 'namespaces', { shortNames: ['ns'], namespaced: false }), printer: namespacePrinter, describer: namespaceDescriber },
    { info: defineKind('v1', 'ConfigMap', 'configmaps', { shortNames: ['cm'], hasStatus: false }), printer: configMapPrinter, describer: configMapDescriber },
    { info: defineKind('v1', 'Secret', 'secrets', { hasStatus: false }), printer: secretPrinter, describer: secretDescriber },
    { info: defineKind('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', { shortNames: ['pvc'] }), printer: pvcPrinter, describer: pvcDescriber },
    { info: defineKind('v1', 'Pod', 'pods', { shortNames: ['po'], categories: ['all'] }), printer: podPrinter, describer: podDescriber, wait: podWait },
    { info: defineKind('v1', 'Service', 'services', { shortNames: ['svc'], categories: ['all'] }), printer: servicePrinter },
    { info: defineKind('v1', 'Endpoints', 'endpoints', { shortNames: ['ep'], hasStatus: false, userCreatable: false }), printer: endpointsPrinter },
    { info: defineKind('v1', 'ServiceAccount', 'serviceaccounts', { shortNames: ['sa'], hasStatus: false }) },
    { info: defineKind('v1', 'ResourceQuota', 'resourcequotas', { shortNames: ['quota'] }), printer: quotaPrinter },
    { info: defineKind('v1', 'Node', 'nodes', { shortNames: ['no'], namespaced: false, userCreatable: false }), printer: nodePrinter, describer: nodeDescriber },
    { info: defineKind('v1', 'Event', 'events', { shortNames: ['ev'], userCreatable: false, hasStatus: false }), printer: eventPrinter },
  ],
  server: async () => (await import('./server.js')).coreServer,
};
