/** `get` for the core kinds: Pods, ConfigMaps, Secrets, claims, Namespaces, Nodes and Events, as kubectl prints them. */
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import type { Node, PersistentVolumeClaim, Pod } from '../../../api/types.js';
import { isSidecar } from '../../../api/pods.js';
import { ageColumn, nameColumn, orDefault as or, type KindPrinter } from '../../../print/columns.js';
import { age } from '../../../print/units.js';
import type { KindWait } from '../../types.js';
import { compareEvents, eventLastSeen } from '../../../print/events.js';

export interface PodSummary {
  /** `1/1` */
  ready: string;
  /** kubectl's STATUS: a phase, or the most telling container reason (`CrashLoopBackOff`, `Completed`, `OOMKilled`...). */
  status: string;
  restarts: number;
  /** Newest finish time of a previous container run, for `2 (5s ago)`. */
  lastRestart?: string;
}

/** The READY, STATUS and RESTARTS columns, computed as kubectl's printPod does. */
export function podSummary(pod: Pod): PodSummary {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const total = spec?.containers?.length ?? 0;
  let ready = 0;
  let restarts = 0;
  let lastRestart: string | undefined;
  const noteRestart = (cs: ContainerStatus) => {
    const fin = cs.lastState?.terminated?.finishedAt;
    if (fin && (!lastRestart || Date.parse(fin) > Date.parse(lastRestart))) lastRestart = fin;
  };

  let reason: string = status.reason || status.phase || '';
  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initSpecs = spec?.initContainers ?? [];
  const sidecar = (name: string) => isSidecar(initSpecs.find((c) => c.name === name) ?? {});
  let initializing = false;
  let sidecarRestarts = 0;
  let sidecarLastRestart: string | undefined;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    restarts += cs.restartCount ?? 0;
    noteRestart(cs);
    if (sidecar(cs.name)) {
      sidecarRestarts += cs.restartCount ?? 0;
      const fin = cs.lastState?.terminated?.finishedAt;
      if (fin && (!sidecarLastRestart || Date.parse(fin) > Date.parse(sidecarLastRestart))) sidecarLastRestart = fin;
    }
    const term = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (sidecar(cs.name) && cs.started) continue;
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  const initializedTrue = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initializedTrue) {
    restarts = sidecarRestarts;
    lastRestart = sidecarLastRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += cs.restartCount ?? 0;
      noteRestart(cs);
      const st = cs.state;
      if (st?.waiting?.reason) reason = st.waiting.reason;
      else if (st?.terminated?.reason) reason = st.terminated.reason;
      else if (st?.terminated) reason = st.terminated.signal ? `Signal:${st.terminated.signal}` : `ExitCode:${st.terminated.exitCode}`;
      else if (cs.ready && st?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata?.deletionTimestamp) {
    if (status.reason === 'NodeLost') reason = 'Unknown';
    else if (status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';
  }
  const out: PodSummary = { ready: `${ready}/${total}`, status: reason, restarts };
  if (lastRestart) out.lastRestart = lastRestart;
  return out;
}

export function formatRestarts(s: PodSummary, now: number): string {
  if (s.restarts !== 0 && s.lastRestart) return `${s.restarts} (${age(s.lastRestart, now)} ago)`;
  return String(s.restarts);
}

const ACCESS_MODES: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };


export const podPrinter: KindPrinter = {
  columns: [
    nameColumn,
    { header: 'READY', cell: (o) => podSummary(o as Pod).ready },
    { header: 'STATUS', cell: (o) => podSummary(o as Pod).status },
    { header: 'RESTARTS', cell: (o, now) => formatRestarts(podSummary(o as Pod), now) },
    ageColumn,
    { header: 'IP', wide: true, cell: (o) => or((o as Pod).status?.podIP, '<none>') },
    { header: 'NODE', wide: true, cell: (o) => or((o as Pod).spec?.nodeName, '<none>') },
  ],
};

export const configMapPrinter: KindPrinter = {
  columns: [
    nameColumn,
    {
      header: 'DATA',
      cell: (o) => String(Object.keys((o['data'] as object | undefined) ?? {}).length + Object.keys((o['binaryData'] as object | undefined) ?? {}).length),
    },
    ageColumn,
  ],
};

/** kubectl's Service columns: `80/TCP`, `8080:30080/TCP` with a node port, `None` for headless. */
export const servicePrinter: KindPrinter = {
  columns: [
    nameColumn,
    { header: 'TYPE', cell: (o) => or((o['spec'] as { type?: string } | undefined)?.type, 'ClusterIP') },
    { header: 'CLUSTER-IP', cell: (o) => or((o['spec'] as { clusterIP?: string } | undefined)?.clusterIP, '<pending>') },
    { header: 'EXTERNAL-IP', cell: () => '<none>' },
    {
      header: 'PORT(S)',
      cell: (o) => {
        const ports = (o['spec'] as { ports?: { port: number; nodePort?: number; protocol?: string }[] } | undefined)?.ports ?? [];
        return ports.length ? ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',') : '<none>';
      },
    },
    ageColumn,
    { header: 'SELECTOR', wide: true, cell: (o) => Object.entries((o['spec'] as { selector?: Record<string, string> } | undefined)?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>' },
  ],
};

/** kubectl's ENDPOINTS column: `ip:port` pairs, three at most, then how many more. */
export const endpointsPrinter: KindPrinter = {
  columns: [
    nameColumn,
    {
      header: 'ENDPOINTS',
      cell: (o) => {
        const subsets = (o['subsets'] as { addresses?: { ip: string }[]; ports?: { port: number }[] }[] | undefined) ?? [];
        const all = subsets.flatMap((s) => (s.addresses ?? []).flatMap((a) => (s.ports?.length ? s.ports.map((p) => `${a.ip}:${p.port}`) : [a.ip])));
        if (!all.length) return '<none>';
        return all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',');
      },
    },
    ageColumn,
  ],
};

export const secretPrinter: KindPrinter = {
  columns: [
    nameColumn,
    { header: 'TYPE', cell: (o) => or(o['type'] as string | undefined, 'Opaque') },
    {
      header: 'DATA',
      cell: (o) => String(new Set([...Object.keys((o['data'] as object | undefined) ?? {}), ...Object.keys((o['stringData'] as object | undefined) ?? {})]).size),
    },
    ageColumn,
  ],
};

/**
 * kubectl shows a claim's capacity and access modes once it is bound to a volume. Drover binds a
 * claim to a directory without naming a volume, so a Bound phase counts too, and the requested
 * size and modes stand in for a capacity the server did not write.
 */
function pvcBound(pvc: PersistentVolumeClaim): boolean {
  return !!pvc.spec?.volumeName || pvc.status?.phase === 'Bound';
}

export function pvcCapacity(pvc: PersistentVolumeClaim): string {
  if (!pvcBound(pvc)) return '';
  return String(pvc.status?.capacity?.['storage'] ?? pvc.spec?.resources?.requests?.['storage'] ?? '');
}

export function pvcAccessModes(pvc: PersistentVolumeClaim): string {
  if (!pvcBound(pvc)) return '';
  const modes = pvc.status?.accessModes?.length ? pvc.status.accessModes : (pvc.spec?.accessModes ?? []);
  return modes.map((m) => ACCESS_MODES[m] ?? m).join(',');
}

export const pvcPrinter: KindPrinter = {
  columns: [
    nameColumn,
    { header: 'STATUS', cell: (o) => (o.metadata.deletionTimestamp ? 'Terminating' : ((o as PersistentVolumeClaim).status?.phase ?? '')) },
    { header: 'VOLUME', cell: (o) => (o as PersistentVolumeClaim).spec?.volumeName ?? '' },
    {
      header: 'CAPACITY',
      cell: (o) => pvcCapacity(o as PersistentVolumeClaim),
    },
    {
      header: 'ACCESS MODES',
      cell: (o) => pvcAccessModes(o as PersistentVolumeClaim),
    },
    {
      header: 'STORAGECLASS',
      cell: (o) =>
        (o as PersistentVolumeClaim).spec?.storageClassName ?? o.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '',
    },
    ageColumn,
    { header: 'VOLUMEMODE', wide: true, cell: (o) => (o as PersistentVolumeClaim).spec?.volumeMode ?? 'Filesystem' },
  ],
};

export const namespacePrinter: KindPrinter = {
  columns: [nameColumn, { header: 'STATUS', cell: (o) => String((o['status'] as { phase?: string } | undefined)?.phase ?? '') }, ageColumn],
};

/** Node roles from `node-role.kubernetes.io/<role>` and `kubernetes.io/role` labels. */
export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const r = k.slice('node-role.kubernetes.io/'.length);
      if (r) roles.add(r);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

export function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const parts = [ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

export const nodePrinter: KindPrinter = {
  columns: [
    nameColumn,
    { header: 'STATUS', cell: (o) => nodeStatus(o as Node) },
    { header: 'ROLES', cell: (o) => nodeRoles(o as Node) },
    ageColumn,
    { header: 'VERSION', cell: (o) => (o as Node).status?.nodeInfo?.kubeletVersion ?? '' },
    { header: 'INTERNAL-IP', wide: true, cell: (o) => or((o as Node).status?.addresses?.find((a) => a.type === 'InternalIP')?.address, '<none>') },
    { header: 'OS-IMAGE', wide: true, cell: (o) => or((o as Node).status?.nodeInfo?.osImage, '<unknown>') },
    { header: 'KERNEL-VERSION', wide: true, cell: (o) => or((o as Node).status?.nodeInfo?.kernelVersion, '<unknown>') },
  ],
};

export const eventPrinter: KindPrinter = {
  columns: [
    { header: 'LAST SEEN', cell: (o, now) => eventLastSeen(o, now) },
    { header: 'TYPE', cell: (o) => String(o['type'] ?? '') },
    { header: 'REASON', cell: (o) => String(o['reason'] ?? '') },
    {
      header: 'OBJECT',
      cell: (o) => {
        const inv = o['involvedObject'] as { kind?: string; name?: string } | undefined;
        return `${(inv?.kind ?? '').toLowerCase()}/${inv?.name ?? ''}`;
      },
    },
    { header: 'MESSAGE', cell: (o) => String(o['message'] ?? '').trim() },
  ],
  compare: compareEvents,
};


/** `wait` on a Pod shows kubectl's STATUS column while waiting. */
export const podWait: KindWait = { progress: (obj) => podSummary(obj as Pod).status || 'Pending' };
