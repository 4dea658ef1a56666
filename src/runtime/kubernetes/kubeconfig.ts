import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { HostRequirementError } from '../../api/errors.js';

export interface KubeConfigChoice {
  /** A kubeconfig file; default: $KUBECONFIG, ~/.kube/config, or the pod's service account in a cluster. */
  file?: string;
  context?: string;
}

/** Loads the kubeconfig as kubectl would, with a clear error for a missing file or context. */
export function loadKubeConfig(choice: KubeConfigChoice = {}): KubeConfig {
  const kc = new KubeConfig();
  if (choice.file) {
    if (!existsSync(choice.file)) throw new HostRequirementError(`kubeconfig ${choice.file} does not exist`);
    kc.loadFromFile(choice.file);
  } else {
    // $KUBECONFIG, then ~/.kube/config, then the in-cluster service account.
    kc.loadFromDefault();
  }
  if (choice.context) {
    if (!kc.getContexts().some((c) => c.name === choice.context)) {
      throw new HostRequirementError(`context "${choice.context}" is not in the kubeconfig; it has: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'}`);
    }
    kc.setCurrentContext(choice.context);
  }
  if (!kc.getCurrentCluster()) throw new HostRequirementError('no Kubernetes cluster configured: pass --kubeconfig, set KUBECONFIG, or run Drover in a pod');
  return kc;
}

/** The namespace of the current context, or of the pod's service account when in a cluster. */
export function contextNamespace(kc: KubeConfig): string | undefined {
  const ctx = kc.getContextObject(kc.getCurrentContext());
  return ctx?.namespace;
}
