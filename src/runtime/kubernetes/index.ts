/**
 * The Kubernetes pod runtime: Drover's pods run as ordinary Pods in one namespace of a cluster,
 * with the ConfigMaps, Secrets and claims they refer to copied alongside. Needs only the
 * namespaced permissions in deploy/kubernetes/rbac.yaml.
 *
 *   import { KubernetesPodRuntime, loadKubeConfig } from './runtime/kubernetes/index.js';
 *   const runtime = new KubernetesPodRuntime({ kubeConfig: loadKubeConfig({ context: 'prod' }), namespace: 'ml-team' });
 *   await runtime.checkHost();   // HostRequirementError names any missing permission
 *   await runtime.start({ store, nodeName: '', clock: systemClock, logger });
 */
export { KubernetesPodRuntime } from './runtime.js';
export type { KubernetesRuntimeOptions } from './runtime.js';
export { loadKubeConfig, contextNamespace } from './kubeconfig.js';
export { REQUIRED_PERMISSIONS } from './permissions.js';
export type { Permission } from './permissions.js';
