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
 * - hostPath → the host path itself (admission and the runtime allow only what the admin lists,
 *   and Drover's own per-namespace directories).
 *
 * Ownership, so a pod running as an unprivileged uid can use them (a root server only; a server
 * that is not root runs containers as its own user): emptyDirs are 0777 as the kubelet makes them;
 * a claim directory still owned by root (new, or from before pods ran unprivileged) is given to
 * the pod's uid; Drover's own hostPath directories are the pod's; ConfigMap and Secret files are
 * the pod's uid's (so a mode like 0600 still lets the pod read them), Secret files 0400 unless
 * defaultMode/items say otherwise. With fsGroup, emptyDirs and claims are group-owned by it,
 * group-writable and setgid (a claim's files too, when its root's group differs: the kubelet's
 * OnRootMismatch), and ConfigMap and Secret files group-readable (root's and the fsGroup's when
 * their mode already gives the group read, as a kubelet leaves them).
 */
import { chmodSync, chownSync, closeSync, lchownSync, lstatSync, mkdirSync, openSync, promises as fsp, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
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
  /** A hostPath under Drover's home (a step's staging or a trial's metrics directory): the pod's own. */
  droverOwned?: boolean;
}

/** Who a pod's volumes are for (its pod-level uid, gid and fsGroup). */
export interface VolumeOwner {
  uid: number;
  gid: number;
  fsGroup?: number;
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
      // Only the pod's uid reads its secrets unless the manifest says otherwise.
      const files = projectFiles(v.name, s ? secretData(s) : {}, v.secret.items, v.secret.defaultMode ?? 0o400, v.secret.optional === true, 'secret');
      out.push({ name: v.name, kind: 'secret', hostPath: podVolDir, readOnly: true, files, create: 'dir' });
    } else if (v.emptyDir) {
      if (v.emptyDir.medium === 'Memory' && paths.shmDir) {
        out.push({ name: v.name, kind: 'emptyDir', hostPath: join(paths.shmDir, `drover-${paths.podUid}-${v.name}`), readOnly: false, create: 'dir', ephemeralOutside: true });
      } else {
        out.push({ name: v.name, kind: 'emptyDir', hostPath: podVolDir, readOnly: false, create: 'dir' });
      }
    } else if (v.hostPath) {
      const type = v.hostPath.type ?? '';
      const p: PlannedVolume = { name: v.name, kind: 'hostPath', hostPath: v.hostPath.path, readOnly: false, ...(v.hostPath.path.startsWith(paths.home + '/') ? { droverOwned: true } : {}) };
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

/** Gives every file and directory under `dir` to group `gid`, group-writable, directories setgid. */
async function chgrpTree(dir: string, gid: number): Promise<void> {
  const st = await fsp.lstat(dir);
  if (st.isSymbolicLink()) return;
  await fsp.chown(dir, st.uid, gid);
  if (st.isDirectory()) {
    await fsp.chmod(dir, (st.mode & 0o7777) | 0o2070);
    for (const e of await fsp.readdir(dir)) await chgrpTree(join(dir, e), gid);
  } else {
    await fsp.chmod(dir, (st.mode & 0o7777) | 0o060);
  }
}

/** How many entries chownTree walks synchronously before it goes on asynchronously (a step's few files, not a large unpacked artifact). */
const SYNC_CHOWN_ENTRIES = 256;

/**
 * lchown of everything under `dir` (made by Drover, not by a pod: no link is followed). A small
 * tree (a step's staging files: a handful) is walked synchronously, far cheaper than a thread-pool
 * round trip per call; past SYNC_CHOWN_ENTRIES the rest is walked asynchronously.
 */
async function chownTree(dir: string, uid: number, gid: number, budget = { left: SYNC_CHOWN_ENTRIES }): Promise<void> {
  if (budget.left-- <= 0) {
    await fsp.lchown(dir, uid, gid);
    const st = await fsp.lstat(dir);
    if (st.isDirectory()) for (const e of await fsp.readdir(dir)) await chownTree(join(dir, e), uid, gid, budget);
    return;
  }
  lchownSync(dir, uid, gid);
  if (lstatSync(dir).isDirectory()) for (const e of readdirSync(dir)) await chownTree(join(dir, e), uid, gid, budget);
}

/** Gives a volume to the pod's user (see the header). Synchronous but for a claim's tree. */
async function own(v: PlannedVolume, o: VolumeOwner): Promise<void> {
  const group = o.fsGroup ?? o.gid;
  if (v.kind === 'emptyDir') {
    if (o.fsGroup !== undefined) chownSync(v.hostPath, 0, o.fsGroup);
    chmodSync(v.hostPath, o.fsGroup !== undefined ? 0o2777 : 0o777);
  } else if (v.kind === 'persistentVolumeClaim') {
    const st = statSync(v.hostPath);
    if (st.uid === 0 && o.uid !== 0) chownSync(v.hostPath, o.uid, group);
    if (o.fsGroup !== undefined && st.gid !== o.fsGroup) await chgrpTree(v.hostPath, o.fsGroup);
  } else if (v.kind === 'hostPath' && v.droverOwned && v.create !== 'file') {
    // A step's staging files (its script, unpacked input artifacts) are the pod's to change, as
    // Argo's input artifacts are.
    await chownTree(v.hostPath, o.uid, group);
  } else if (v.kind === 'secret' || v.kind === 'configMap') {
    for (const f of v.files ?? []) {
      const p = join(v.hostPath, f.path);
      // A mode that itself lets the fsGroup read (Trainer's 0640 ssh key) is kept as a kubelet
      // writes it, root's and the group's: ssh refuses a key its own user could share, not one
      // it reads through its group.
      if (o.fsGroup !== undefined && (f.mode & 0o040) !== 0) {
        chownSync(p, 0, o.fsGroup);
        continue;
      }
      chownSync(p, o.uid, group);
      if (o.fsGroup !== undefined) chmodSync(p, f.mode | 0o040);
    }
  }
}

/**
 * Makes the volumes exist on the host (directories, files). Idempotent. With `owner` (a root
 * server), gives them to the pod's user. Synchronous on purpose, as a container's start is: a few
 * mkdirs and small files (a ServiceAccount token, a ConfigMap) on every pod's path, each far
 * cheaper than its thread-pool round trip; only a claim's tree (chgrp) and a large staging tree
 * are walked asynchronously.
 */
export async function materialize(volumes: PlannedVolume[], owner?: VolumeOwner): Promise<void> {
  for (const v of volumes) {
    if (v.create === 'dir') mkdirSync(v.hostPath, { recursive: true, mode: 0o755 });
    else if (v.create === 'file') {
      mkdirSync(dirname(v.hostPath), { recursive: true });
      closeSync(openSync(v.hostPath, 'a'));
    } else if (v.expect) {
      let st;
      try {
        st = statSync(v.hostPath);
      } catch {
        throw new VolumeError(v.name, `hostPath type check failed: ${v.hostPath} does not exist`);
      }
      if (v.expect === 'dir' && !st.isDirectory()) throw new VolumeError(v.name, `hostPath type check failed: ${v.hostPath} is not a directory`);
      if (v.expect === 'file' && !st.isFile()) throw new VolumeError(v.name, `hostPath type check failed: ${v.hostPath} is not a file`);
    }
    for (const f of v.files ?? []) {
      const p = join(v.hostPath, f.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.data, { mode: f.mode });
      // writeFile's mode is filtered by the umask; set it exactly.
      chmodSync(p, f.mode);
    }
    if (owner) await own(v, owner);
  }
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
    out.push({ source, dest: throughLinks(m.mountPath), readOnly: v.readOnly || m.readOnly === true });
  }
  return out;
}

/**
 * A mount point as the sandbox must be given it: through the links of the root the container
 * runs on (`/var/run/secrets/x` is `/run/secrets/x` where /var/run links to /run), as a kubelet's
 * runtime resolves them in the image; bwrap makes no directory through a link.
 */
export function throughLinks(dest: string): string {
  const parts = dest.split('/').filter(Boolean);
  for (let i = parts.length - 1; i >= 1; i--) {
    try {
      return join(realpathSync('/' + parts.slice(0, i).join('/')), ...parts.slice(i));
    } catch {
      // Not there: a shorter parent, then.
    }
  }
  return dest;
}
