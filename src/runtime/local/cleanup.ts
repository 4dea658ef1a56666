/** Removing what a pod leaves on the host when it ends or is deleted. */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../util/logger.js';
import type { HostFacts } from './host.js';

/**
 * Removes a pod's sandbox: cgroups, overlay layers, volume files; with `all`, logs too (the pod is
 * gone). `emptied` hears, as soon as it is known, whether its cgroups went, which they do only once
 * every process of the pod has ended (its network may then serve another pod).
 */
export async function cleanupSandbox(facts: HostFacts, logger: Logger, uid: string, dir: string, all: boolean, emptied?: (gone: boolean) => Promise<void>): Promise<void> {
  const { cgroups, shmDir } = facts;
  let gone = false;
  try {
    // Anything left in the pod's cgroups (nothing, normally) is killed before they go.
    for (const name of await cgroupContainers(facts, uid)) await cgroups.killAll(cgroups.container(uid, name));
    await cgroups.removePod(uid);
    gone = true;
  } catch (err) {
    logger.warn('could not remove pod cgroups', { uid, error: (err as Error).message });
  }
  await emptied?.(gone);
  if (shmDir) {
    const prefix = `drover-${uid}-`;
    const names = await fsp.readdir(shmDir).catch(() => [] as string[]);
    await Promise.all(names.filter((n) => n.startsWith(prefix)).map((n) => fsp.rm(join(shmDir, n), { recursive: true, force: true })));
  }
  if (all) {
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    return;
  }
  const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
  await Promise.all(
    entries.map(async (e) => {
      if (e.name === '.volumes') return fsp.rm(join(dir, e.name), { recursive: true, force: true });
      if (!e.isDirectory() || e.name.startsWith('.')) return;
      const inner = await fsp.readdir(join(dir, e.name)).catch(() => [] as string[]);
      await Promise.all(inner.filter((n) => n.endsWith('.rootfs')).map((n) => fsp.rm(join(dir, e.name, n), { recursive: true, force: true })));
    }),
  );
}

/**
 * A deleted pod that had already finished: its cgroups, overlays and shared memory went when it
 * ended (the runtime's start removes those of pods that ended while it was down), so only its
 * directory (logs, records) is left.
 */
export async function removeFinishedPodFiles(dir: string): Promise<void> {
  await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

async function cgroupContainers(facts: HostFacts, uid: string): Promise<string[]> {
  const [podDir] = facts.cgroups.podDirs(uid);
  if (!podDir) return [];
  const entries = await fsp.readdir(podDir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}
