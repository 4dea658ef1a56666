/** CPU and memory in use by a pod, from its cgroups: CPU as the rate between two samples. */
import type { Pod } from '../../api/index.js';
import type { PodUsage } from '../types.js';
import type { Cgroups } from './cgroups.js';

export class PodUsageSampler {
  private readonly cpuSamples = new Map<string, { cpuNanos: number; at: number }>();

  /** `now`: the runtime's clock, in ms. */
  async sample(pod: Pod, cgroups: Cgroups, now: number): Promise<PodUsage | undefined> {
    const uid = pod.metadata?.uid;
    if (!uid) return undefined;
    const u = await cgroups.podUsage(uid);
    if (!u) return undefined;
    const prev = this.cpuSamples.get(uid);
    this.cpuSamples.set(uid, { cpuNanos: u.cpuNanos, at: now });
    let cpu: number;
    if (prev && now > prev.at) {
      cpu = (u.cpuNanos - prev.cpuNanos) / 1e6 / ((now - prev.at) / 1000);
    } else {
      // First sample: the average over the pod's life.
      const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : now - 1000;
      cpu = u.cpuNanos / 1e6 / (Math.max(1000, now - start) / 1000);
    }
    return { cpuMillicores: Math.max(0, Math.round(cpu)), memoryBytes: u.memoryBytes };
  }
}
