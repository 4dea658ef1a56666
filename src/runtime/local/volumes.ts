/**
 * Pod volumes on the local machine: what each volume is on the host, and where each container
 * sees it.
 *
 * - persistentVolumeClaim → `${home}/claims/<namespace>/<claim>/`, made on first use and kept
 *   after the pods that used it: every pod mounting the claim shares it.
 * - configMap / secret → files written once into the pod's directory when the pod starts (read-only
 *   in the container, as in Kubernetes; later changes to the ConfigMap are not propagated).
 * - emptyDir → a directory in the pod's directory; `medium: Memory` → a directory on the host's
 *   /dev/shm (tmpfs) so every container of the pod shares it.
 * - hostPath → the host path itself.
 */
import { promises as fsp } from 'node:fs';
import { dirname, join, normalize, isAbsolute } from 'node:path';
import type { ConfigMap, Container, PersistentVolumeClaim, Pod, Secret } from '../../api/index.js';
import { configMapData, secretData } from './env.js';
import type { MountSpec } from './sandbox.js';

/** A volume that cannot be set up yet; `message` is the kubelet's FailedMount text. */
export class VolumeError extends Error {
  constructor(readonly volume: string, detail: string) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${detail}`);
    this.name = 'VolumeError';
  }
}

export interface VolumeSources {
  claim(name: string): PersistentVolumeClaim | undefined;
  configMap(name: string): ConfigMap | undefined;
  secret(name: string): Secret | undefined;
}

export interface PlannedVolume {
  name: string;
  kind: 'persistentVolumeClaim' | 'configMap' | 'secret' | 'emptyDir' | 'hostPath';
  /** The directory (or file) on the host. */
  hostPath: string;
  readOnly: boolean;
  /** Files to write (configMap/secret), relative to hostPath. */
  files?: { path: string; data: Buffer; mode: number }[];
  /** Make hostPath if missing. */
  create?: 'dir' | 'file';
  /** Lives outside the pod directory and goes with the pod (emptyDir on /dev/shm). */
  ephemeralOutside?: boolean;
  /** hostPath `type` to check when it is not created. */
  expect?: 'dir' | 'file' | 'exists';
}

export interface VolumePaths {
  home: string;
  podDir: string;
  podUid: string;
  shmDir?: string;
}

function safeRel(p: string): boolean {
  return p !== '' && !isAbsolute(p) && !normalize(p).split('/').includes('..');
}

/** What every volume of the pod is on the host. Throws VolumeError for a missing source that is not optional. */
export function planVolumes(pod: Pod, paths: VolumePaths, src: VolumeSources): PlannedVolume[] {
  const ns = pod.metadata?.namespace ?? 'default';
  const out: PlannedVolume[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    const podVolDir = join(paths.podDir, '.volumes', v.name);
    if (v.persistentVolumeClaim) {
      const claim = v.persistentVolumeClaim.claimName;
      if (!src.claim(claim)) throw new VolumeError(v.name, `persistentvolumeclaim "${claim}" not found`);
      out.push({ name: v.name, kind: 'persistentVolumeClaim', hostPath: join(paths.home, 'claims', ns, claim), readOnly: v.persistentVolumeClaim.readOnly === true, create: 'dir' });
    } else if (v.configMap) {
      const cmName = v.configMap.name ?? '';
      const cm = src.configMap(cmName);
      if (!cm && !v.configMap.optional) throw new VolumeError(v.name, `configmap "${cmName}" not found`);
      const files = projectFiles(v.name, cm ? configMapData(cm) : {}, v.configMap.items, v.configMap.defaultMode, v.configMap.optional === true, 'config');
      out.push({ name: v.name, kind: 'configMap', hostPath: podVolDir, readOnly: true, files, create: 'dir' });
    } else if (v.secret) {
      const sName = v.secret.secretName ?? '';
      const s = src.secret(sName);
      if (!s && !v.secret.optional) throw new VolumeError(v.name, `secret "${sName}" not found`);
      const files = projectFiles(v.name, s ? secretData(s) : {}, v.secret.items, v.secret.defaultMode, v.secret.optional === true, 'secret');
      out.push({ name: v.name, kind: 'secret', hostPath: podVolDir, readOnly: true, files, create: 'dir' });
    } else if (v.emptyDir) {
      if (v.emptyDir.medium === 'Memory' && paths.shmDir) {
        out.push({ name: v.name, kind: 'emptyDir', hostPath: join(paths.shmDir, `drover-${paths.podUid}-${v.name}`), readOnly: false, create: 'dir', ephemeralOutside: true });
      } else {
        out.push({ name: v.name, kind: 'emptyDir', hostPath: podVolDir, readOnly: false, create: 'dir' });
      }
    } else if (v.hostPath) {
      const type = v.hostPath.type ?? '';
      const p: PlannedVolume = { name: v.name, kind: 'hostPath', hostPath: v.hostPath.path, readOnly: false };
      if (type === 'DirectoryOrCreate') p.create = 'dir';
      else if (type === 'FileOrCreate') p.create = 'file';
      else if (type === 'Directory') p.expect = 'dir';
      else if (type === 'File') p.expect = 'file';
      else if (type !== '') p.expect = 'exists';
      out.push(p);
    } else {
      throw new VolumeError(v.name, 'volume type is not supported by the local runtime');
    }
  }
  return out;
}

function projectFiles(
  volume: string,
  data: Record<string, Buffer>,
  items: { key: string; path: string; mode?: number }[] | undefined,
  defaultMode: number | undefined,
  optional: boolean,
  what: 'config' | 'secret',
): { path: string; data: Buffer; mode: number }[] {
  const mode = defaultMode ?? 0o644;
  if (!items || items.length === 0) {
    return Object.entries(data).map(([k, d]) => ({ path: k, data: d, mode }));
  }
  const out: { path: string; data: Buffer; mode: number }[] = [];
  for (const it of items) {
    const d = data[it.key];
    if (d === undefined) {
      if (optional) continue;
      throw new VolumeError(volume, `${what === 'config' ? 'configmap' : 'secret'} references non-existent ${what} key: ${it.key}`);
    }
    if (!safeRel(it.path)) throw new VolumeError(volume, `invalid path "${it.path}"`);
    out.push({ path: it.path, data: d, mode: it.mode ?? mode });
  }
  return out;
}

/** Makes the volumes exist on the host (directories, files). Parallel; idempotent. */
export async function materialize(volumes: PlannedVolume[]): Promise<void> {
  await Promise.all(
    volumes.map(async (v) => {
      if (v.create === 'dir') await fsp.mkdir(v.hostPath, { recursive: true, mode: 0o755 });
      else if (v.create === 'file') {
        await fsp.mkdir(dirname(v.hostPath), { recursive: true });
        await (await fsp.open(v.hostPath, 'a')).close();
      } else if (v.expect) {
        let st;
        try {
          st = await fsp.stat(v.hostPath);
        } catch {
          throw new VolumeError(v.name, `hostPath type check failed: ${v.hostPath} does not exist`);
        }
        if (v.expect === 'dir' && !st.isDirectory()) throw new VolumeError(v.name, `hostPath type check failed: ${v.hostPath} is not a directory`);
        if (v.expect === 'file' && !st.isFile()) throw new VolumeError(v.name, `hostPath type check failed: ${v.hostPath} is not a file`);
      }
      if (v.files) {
        await Promise.all(
          v.files.map(async (f) => {
            const p = join(v.hostPath, f.path);
            await fsp.mkdir(dirname(p), { recursive: true });
            await fsp.writeFile(p, f.data, { mode: f.mode });
            // writeFile's mode is filtered by the umask; set it exactly.
            await fsp.chmod(p, f.mode);
          }),
        );
      }
    }),
  );
}

/**
 * Where a container sees its volumes. `subPath` mounts a file or directory inside the volume
 * (directories are created, as the kubelet does for subPath). Throws VolumeError.
 */
export async function containerMounts(container: Container, volumes: ReadonlyMap<string, PlannedVolume>): Promise<MountSpec[]> {
  const out: MountSpec[] = [];
  for (const m of container.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    if (!v) throw new VolumeError(m.name, `volume "${m.name}" is not declared in the pod's volumes`);
    let source = v.hostPath;
    if (m.subPath) {
      if (!safeRel(m.subPath)) throw new VolumeError(m.name, `invalid subPath "${m.subPath}"`);
      source = join(v.hostPath, m.subPath);
      if (v.kind !== 'configMap' && v.kind !== 'secret') {
        try {
          await fsp.stat(source);
        } catch {
          await fsp.mkdir(source, { recursive: true, mode: 0o755 });
        }
      } else {
        try {
          await fsp.stat(source);
        } catch {
          throw new VolumeError(m.name, `subPath "${m.subPath}" does not exist in the volume`);
        }
      }
    }
    out.push({ source, dest: m.mountPath, readOnly: v.readOnly || m.readOnly === true });
  }
  return out;
}
