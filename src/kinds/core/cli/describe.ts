/** `describe` for the core kinds: Pods (and the pod templates other kinds embed), ConfigMaps, Secrets, Namespaces, claims and Nodes. */
import type { ContainerState, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { Container, ContainerStatus, Node, PersistentVolumeClaim, Pod, Volume } from '../../../api/types.js';
import { ANNOTATIONS } from '../../../api/types.js';
import { podResources, qosClass } from '../../../api/pods.js';
import { formatResource, safeQuantity } from '../../../api/quantity.js';
import { age } from '../../../print/units.js';
import {
  annotations, controlledBy, events, labels, PrefixWriter, simpleHeader, sortedKeys, timeFormatter, type Describer, type Ts,
} from '../../../print/describe.js';
import { nodeRoles, pvcAccessModes, pvcCapacity } from './columns.js';

function describeState(w: PrefixWriter, name: string, state: ContainerState | undefined, ts: Ts): void {
  if (state?.running) {
    w.write(2, `${name}:\tRunning\n`);
    w.write(3, `Started:\t${ts(state.running.startedAt)}\n`);
  } else if (state?.terminated) {
    const t = state.terminated;
    w.write(2, `${name}:\tTerminated\n`);
    if (t.reason) w.write(3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(3, `Message:\t${t.message}\n`);
    w.write(3, `Exit Code:\t${t.exitCode}\n`);
    if (t.signal) w.write(3, `Signal:\t${t.signal}\n`);
    w.write(3, `Started:\t${ts(t.startedAt)}\n`);
    w.write(3, `Finished:\t${ts(t.finishedAt)}\n`);
  } else {
    w.write(2, `${name}:\tWaiting\n`);
    if (state?.waiting?.reason) w.write(3, `Reason:\t${state.waiting.reason}\n`);
    if (state?.waiting?.message) w.write(3, `Message:\t${state.waiting.message}\n`);
  }
}

function resourceNames(r: Record<string, unknown> | undefined): string[] {
  return sortedKeys(r);
}

function describeContainer(w: PrefixWriter, c: Container, status: ContainerStatus | undefined, space: string, ts: Ts | undefined): void {
  w.write(1, `${space}${c.name}:\n`);
  if (status?.containerID) w.write(2, `Container ID:\t${status.containerID}\n`);
  w.write(2, `Image:\t${c.image ?? ''}\n`);
  if (status?.imageID) w.write(2, `Image ID:\t${status.imageID}\n`);
  const ports = c.ports ?? [];
  if (ports.length === 0) {
    w.write(2, 'Port:\t<none>\n');
    w.write(2, 'Host Port:\t<none>\n');
  } else {
    w.write(2, `${ports.length > 1 ? 'Ports' : 'Port'}:\t${ports.map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ')}\n`);
    w.write(2, `${ports.length > 1 ? 'Host Ports' : 'Host Port'}:\t${ports.map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`).join(', ')}\n`);
  }
  if (c.command?.length) {
    w.write(2, 'Command:\n');
    for (const a of c.command) for (const line of a.split('\n')) w.write(3, `${line}\n`);
  }
  if (c.args?.length) {
    w.write(2, 'Args:\n');
    for (const a of c.args) for (const line of a.split('\n')) w.write(3, `${line}\n`);
  }
  if (c.workingDir) w.write(2, `Working Dir:\t${c.workingDir}\n`);
  if (status && ts) {
    describeState(w, 'State', status.state, ts);
    if (status.lastState?.terminated) describeState(w, 'Last State', status.lastState, ts);
    w.write(2, `Ready:\t${status.ready ? 'True' : 'False'}\n`);
    w.write(2, `Restart Count:\t${status.restartCount ?? 0}\n`);
  }
  for (const [title, list] of [['Limits', c.resources?.limits], ['Requests', c.resources?.requests]] as const) {
    const names = resourceNames(list);
    if (!names.length) continue;
    w.write(2, `${title}:\n`);
    for (const n of names) w.write(3, `${n}:\t${String(list![n])}\n`);
  }
  if (c.envFrom?.length) {
    w.write(2, 'Environment Variables from:\n');
    for (const e of c.envFrom) {
      const [kind, ref] = e.configMapRef ? ['ConfigMap', e.configMapRef] : ['Secret', e.secretRef];
      const prefix = e.prefix ? ` with prefix '${e.prefix}'` : '';
      w.write(3, `${ref?.name ?? ''}\t${kind}${prefix}\tOptional: ${ref?.optional ? 'true' : 'false'}\n`);
    }
  }
  if (!c.env?.length) {
    if (!c.envFrom?.length) w.write(2, 'Environment:\t<none>\n');
  } else {
    w.write(2, 'Environment:\n');
    for (const e of c.env) {
      const vf = e.valueFrom;
      if (!vf) {
        (e.value ?? '').split('\n').forEach((line, i) => w.write(3, i === 0 ? `${e.name}:\t${line}\n` : `\t${line}\n`));
      } else if (vf.fieldRef) {
        w.write(3, `${e.name}:\t (${vf.fieldRef.apiVersion ?? 'v1'}:${vf.fieldRef.fieldPath})\n`);
      } else if (vf.resourceFieldRef) {
        w.write(3, `${e.name}:\t${vf.resourceFieldRef.resource}\n`);
      } else if (vf.secretKeyRef) {
        w.write(3, `${e.name}:\t<set to the key '${vf.secretKeyRef.key}' in secret '${vf.secretKeyRef.name ?? ''}'>\tOptional: ${vf.secretKeyRef.optional ? 'true' : 'false'}\n`);
      } else if (vf.configMapKeyRef) {
        w.write(3, `${e.name}:\t<set to the key '${vf.configMapKeyRef.key}' of config map '${vf.configMapKeyRef.name ?? ''}'>\tOptional: ${vf.configMapKeyRef.optional ? 'true' : 'false'}\n`);
      }
    }
  }
  const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
  w.write(2, `Mounts:${mounts.length ? '' : '\t<none>'}\n`);
  for (const m of mounts) {
    const flags = [m.readOnly ? 'ro' : 'rw'];
    if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
    w.write(3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
  }
}

function describeContainers(w: PrefixWriter, title: string, containers: Container[] | undefined, statuses: ContainerStatus[] | undefined, space: string, ts: Ts | undefined): void {
  if (!containers?.length) return;
  w.write(space ? 1 : 0, `${title}:\n`);
  for (const c of containers) describeContainer(w, c, statuses?.find((s) => s.name === c.name), space, ts);
}

function describeVolumes(w: PrefixWriter, volumes: Volume[] | undefined, space: string): void {
  if (!volumes?.length) {
    w.write(0, `${space}Volumes:\t<none>\n`);
    return;
  }
  w.write(0, `${space}Volumes:\n`);
  const l = 1;
  for (const v of volumes) {
    w.write(l, `${space ? ' ' : ''}${v.name}:\n`);
    if (v.configMap) {
      w.write(l + 1, 'Type:\tConfigMap (a volume populated by a ConfigMap)\n');
      w.write(l + 1, `Name:\t${v.configMap.name ?? ''}\n`);
      w.write(l + 1, `Optional:\t${v.configMap.optional ? 'true' : 'false'}\n`);
    } else if (v.secret) {
      w.write(l + 1, 'Type:\tSecret (a volume populated by a Secret)\n');
      w.write(l + 1, `SecretName:\t${v.secret.secretName ?? ''}\n`);
      w.write(l + 1, `Optional:\t${v.secret.optional ? 'true' : 'false'}\n`);
    } else if (v.persistentVolumeClaim) {
      w.write(l + 1, 'Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n');
      w.write(l + 1, `ClaimName:\t${v.persistentVolumeClaim.claimName}\n`);
      w.write(l + 1, `ReadOnly:\t${v.persistentVolumeClaim.readOnly ? 'true' : 'false'}\n`);
    } else if (v.emptyDir) {
      w.write(l + 1, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n");
      w.write(l + 1, `Medium:\t${v.emptyDir.medium ?? ''}\n`);
      w.write(l + 1, `SizeLimit:\t${v.emptyDir.sizeLimit ?? '<unset>'}\n`);
    } else if (v.hostPath) {
      w.write(l + 1, 'Type:\tHostPath (bare host directory volume)\n');
      w.write(l + 1, `Path:\t${v.hostPath.path}\n`);
      w.write(l + 1, `HostPathType:\t${v.hostPath.type ?? ''}\n`);
    } else {
      const type = Object.keys(v).find((k) => k !== 'name') ?? 'Unknown';
      w.write(l + 1, `Type:\t${type[0]!.toUpperCase()}${type.slice(1)} (unknown volume type)\n`);
    }
  }
}

function nodeSelectors(w: PrefixWriter, level: number, sel: Record<string, string> | undefined): void {
  const keys = sortedKeys(sel);
  if (!keys.length) w.write(level, 'Node-Selectors:\t<none>\n');
  keys.forEach((k, i) => w.write(level, `${i === 0 ? 'Node-Selectors:' : ''}\t${k}=${sel![k]}\n`));
}

function tolerations(w: PrefixWriter, level: number, tols: { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number }[] | undefined): void {
  if (!tols?.length) {
    w.write(level, 'Tolerations:\t<none>\n');
    return;
  }
  tols.forEach((t, i) => {
    let s = t.key ?? '';
    if (t.value) s += `=${t.value}`;
    else if (t.operator === 'Exists' && !t.key) s = '';
    if (t.operator === 'Exists' && t.key) s += ' op=Exists';
    else if (t.operator === 'Exists') s = 'op=Exists';
    if (t.effect) s += `:${t.effect}`;
    if (t.tolerationSeconds != null) s += ` for ${t.tolerationSeconds}s`;
    w.write(level, i === 0 ? `Tolerations:\t${s}\n` : `\t${s}\n`);
  });
}

export function describePodTemplate(w: PrefixWriter, template: PodTemplateSpec | undefined): void {
  w.write(0, 'Pod Template:\n');
  if (!template) {
    w.write(1, '<unset>\n');
    return;
  }
  labels(w, 1, template);
  const ann = template.metadata?.annotations;
  if (ann && Object.keys(ann).length) annotations(w, 1, template);
  const spec = template.spec;
  if (spec?.serviceAccountName) w.write(1, `Service Account:\t${spec.serviceAccountName}\n`);
  describeContainers(w, 'Init Containers', spec?.initContainers, undefined, ' ', undefined);
  describeContainers(w, 'Containers', spec?.containers, undefined, ' ', undefined);
  describeVolumes(w, spec?.volumes, '  ');
  nodeSelectors(w, 1, spec?.nodeSelector);
  tolerations(w, 1, spec?.tolerations);
}

export const podDescriber: Describer = {
  describe(obj, input) {
    const pod = obj as Pod;
    const ts = timeFormatter(input);
    const w = new PrefixWriter();
    const spec = pod.spec;
    const status = pod.status ?? {};
    w.write(0, `Name:\t${obj.metadata.name}\n`);
    w.write(0, `Namespace:\t${obj.metadata.namespace}\n`);
    if (spec?.priority != null) w.write(0, `Priority:\t${spec.priority}\n`);
    if (spec?.priorityClassName) w.write(0, `Priority Class Name:\t${spec.priorityClassName}\n`);
    w.write(0, `Service Account:\t${spec?.serviceAccountName ?? 'default'}\n`);
    w.write(0, `Node:\t${spec?.nodeName ? `${spec.nodeName}${status.hostIP ? '/' + status.hostIP : ''}` : '<none>'}\n`);
    if (status.startTime) w.write(0, `Start Time:\t${ts(status.startTime)}\n`);
    labels(w, 0, obj);
    annotations(w, 0, obj);
    if (obj.metadata.deletionTimestamp && status.phase !== 'Succeeded' && status.phase !== 'Failed') {
      w.write(0, `Status:\tTerminating (lasts ${age(obj.metadata.deletionTimestamp, input.now)})\n`);
    } else {
      w.write(0, `Status:\t${status.phase ?? 'Unknown'}\n`);
    }
    if (status.reason) w.write(0, `Reason:\t${status.reason}\n`);
    if (status.message) w.write(0, `Message:\t${status.message.trim()}\n`);
    w.write(0, `IP:\t${status.podIP ?? ''}\n`);
    const ips = status.podIPs ?? [];
    if (ips.length === 0) w.write(0, 'IPs:\t<none>\n');
    else {
      w.write(0, 'IPs:\n');
      for (const ip of ips) w.write(1, `IP:\t${ip.ip}\n`);
    }
    controlledBy(w, obj);
    if (status.nominatedNodeName) w.write(0, `NominatedNodeName:\t${status.nominatedNodeName}\n`);
    describeContainers(w, 'Init Containers', spec?.initContainers, status.initContainerStatuses, '', ts);
    describeContainers(w, 'Containers', spec?.containers, status.containerStatuses, '', ts);
    if (status.conditions?.length) {
      w.write(0, 'Conditions:\n  Type\tStatus\n');
      for (const c of status.conditions) w.write(1, `${c.type} \t${c.status} \n`);
    }
    describeVolumes(w, spec?.volumes, '');
    w.write(0, `QoS Class:\t${status.qosClass ?? qosClass(pod)}\n`);
    nodeSelectors(w, 0, spec?.nodeSelector);
    tolerations(w, 0, spec?.tolerations);
    events(w, input.events, input.now);
    return w.toString();
  },
};

export const configMapDescriber: Describer = {
  describe(obj, input) {
    const w = new PrefixWriter();
    simpleHeader(w, obj);
    w.write(0, '\nData\n====\n');
    const data = (obj['data'] as Record<string, string> | undefined) ?? {};
    for (const k of sortedKeys(data)) w.write(0, `${k}:\n----\n${data[k]}\n`);
    w.write(0, '\nBinaryData\n====\n');
    const bin = (obj['binaryData'] as Record<string, string> | undefined) ?? {};
    for (const k of sortedKeys(bin)) w.write(0, `${k}: ${Buffer.from(bin[k]!, 'base64').length} bytes\n`);
    w.write(0, '\n');
    events(w, input.events, input.now);
    return w.toString();
  },
};

export const secretDescriber: Describer = {
  describe(obj, input) {
    const w = new PrefixWriter();
    simpleHeader(w, obj);
    w.write(0, `\nType:\t${(obj['type'] as string | undefined) || 'Opaque'}\n`);
    w.write(0, '\nData\n====\n');
    const data = (obj['data'] as Record<string, string> | undefined) ?? {};
    const stringData = (obj['stringData'] as Record<string, string> | undefined) ?? {};
    const keys = [...new Set([...Object.keys(data), ...Object.keys(stringData)])].sort();
    for (const k of keys) {
      const bytes = data[k] !== undefined ? Buffer.from(data[k]!, 'base64').length : Buffer.byteLength(stringData[k] ?? '');
      w.write(0, `${k}:\t${bytes} bytes\n`);
    }
    events(w, input.events, input.now);
    return w.toString();
  },
};

export const namespaceDescriber: Describer = {
  describe(obj, input) {
    const w = new PrefixWriter();
    w.write(0, `Name:\t${obj.metadata.name}\n`);
    labels(w, 0, obj);
    annotations(w, 0, obj);
    w.write(0, `Status:\t${(obj['status'] as { phase?: string } | undefined)?.phase ?? ''}\n`);
    w.write(0, '\nNo resource quota.\n\nNo LimitRange resource.\n');
    if (input.events.length) events(w, input.events, input.now);
    return w.toString();
  },
};

export const pvcDescriber: Describer = {
  needsPods: 'namespace',
  describe(obj, input) {
    const pvc = obj as PersistentVolumeClaim;
    const w = new PrefixWriter();
    w.write(0, `Name:\t${obj.metadata.name}\n`);
    w.write(0, `Namespace:\t${obj.metadata.namespace}\n`);
    w.write(0, `StorageClass:\t${pvc.spec?.storageClassName ?? ''}\n`);
    w.write(0, `Status:\t${obj.metadata.deletionTimestamp ? `Terminating (lasts ${age(obj.metadata.deletionTimestamp, input.now)})` : (pvc.status?.phase ?? '')}\n`);
    w.write(0, `Volume:\t${pvc.spec?.volumeName ?? ''}\n`);
    labels(w, 0, obj);
    annotations(w, 0, obj);
    w.write(0, `Finalizers:\t[${(obj.metadata.finalizers ?? []).join(' ')}]\n`);
    w.write(0, `Capacity:\t${pvcCapacity(pvc)}\n`);
    w.write(0, `Access Modes:\t${pvcAccessModes(pvc)}\n`);
    w.write(0, `VolumeMode:\t${pvc.spec?.volumeMode ?? 'Filesystem'}\n`);
    const users = (input.pods ?? [])
      .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
      .filter((p) => p.spec?.volumes?.some((v) => v.persistentVolumeClaim?.claimName === obj.metadata.name))
      .map((p) => p.metadata?.name ?? '')
      .sort();
    if (users.length === 0) w.write(0, 'Used By:\t<none>\n');
    else users.forEach((u, i) => w.write(0, i === 0 ? `Used By:\t${u}\n` : `\t${u}\n`));
    events(w, input.events, input.now);
    return w.toString();
  },
};

/** Bytes as `12.3Mi`: the store's size is no round quantity. */
function mib(n: number): string {
  if (n < 1024) return `${n}B`;
  const [unit, size] = n >= 2 ** 30 ? ['Gi', 2 ** 30] : n >= 2 ** 20 ? ['Mi', 2 ** 20] : ['Ki', 1024];
  return `${Number((n / size).toFixed(1))}${unit}`;
}

/** Drover's store on the local node, as the server last measured it (ANNOTATIONS.storeSize). */
function storeSize(w: PrefixWriter, json: string | undefined, ts: (t: string | undefined) => string): void {
  if (!json) return;
  let s: { path?: string; fileBytes?: number; walBytes?: number; freeBytes?: number; changeLogRows?: number; changeLogBytes?: number; measured?: string };
  try {
    s = JSON.parse(json) as typeof s;
  } catch {
    return;
  }
  const file = s.fileBytes ?? 0;
  const wal = s.walBytes ?? 0;
  w.write(0, 'Store:\n');
  w.write(1, `Path:\t${s.path ?? ''}\n`);
  w.write(1, `Size on disk:\t${mib(file + wal)} (database ${mib(file)}, write-ahead log ${mib(wal)})\n`);
  w.write(1, `Free pages:\t${mib(s.freeBytes ?? 0)} (given back to the file system by incremental vacuum)\n`);
  w.write(1, `Change log:\t${s.changeLogRows ?? 0} changes, ${mib(s.changeLogBytes ?? 0)}\n`);
  w.write(1, `Measured:\t${ts(s.measured)}\n`);
}

export const nodeDescriber: Describer = {
  needsPods: 'node',
  describe(obj, input) {
    const node = obj as Node;
    const ts = timeFormatter(input);
    const w = new PrefixWriter();
    w.write(0, `Name:\t${obj.metadata.name}\n`);
    w.write(0, `Roles:\t${nodeRoles(node)}\n`);
    labels(w, 0, obj);
    annotations(w, 0, obj);
    w.write(0, `CreationTimestamp:\t${ts(obj.metadata.creationTimestamp)}\n`);
    const taints = node.spec?.taints ?? [];
    if (!taints.length) w.write(0, 'Taints:\t<none>\n');
    else taints.forEach((t, i) => w.write(0, `${i === 0 ? 'Taints:' : ''}\t${t.key}${t.value ? '=' + t.value : ''}:${t.effect}\n`));
    w.write(0, `Unschedulable:\t${node.spec?.unschedulable ? 'true' : 'false'}\n`);
    const conds = node.status?.conditions ?? [];
    if (conds.length) {
      w.write(0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
      w.write(1, '----\t------\t-----------------\t------------------\t------\t-------\n');
      for (const c of conds) {
        w.write(1, `${c.type} \t${c.status} \t${ts(c.lastHeartbeatTime)} \t${ts(c.lastTransitionTime)} \t${c.reason ?? ''} \t${c.message ?? ''}\n`);
      }
    }
    const addrs = node.status?.addresses ?? [];
    if (addrs.length) {
      w.write(0, 'Addresses:\n');
      for (const a of addrs) w.write(1, `${a.type}:\t${a.address}\n`);
    }
    for (const [title, res] of [['Capacity', node.status?.capacity], ['Allocatable', node.status?.allocatable]] as const) {
      if (!res || !Object.keys(res).length) continue;
      w.write(0, `${title}:\n`);
      for (const k of sortedKeys(res)) w.write(1, `${k}:\t${String(res[k])}\n`);
    }
    const info = node.status?.nodeInfo;
    if (info) {
      w.write(0, 'System Info:\n');
      const rows: [string, string | undefined][] = [
        ['Machine ID', info.machineID], ['System UUID', info.systemUUID], ['Boot ID', info.bootID], ['Kernel Version', info.kernelVersion],
        ['OS Image', info.osImage], ['Operating System', info.operatingSystem], ['Architecture', info.architecture],
        ['Container Runtime Version', info.containerRuntimeVersion], ['Kubelet Version', info.kubeletVersion],
      ];
      for (const [k, v] of rows) w.write(1, `${k}:\t${v ?? ''}\n`);
    }
    storeSize(w, node.metadata?.annotations?.[ANNOTATIONS.storeSize], ts);
    const pods = (input.pods ?? []).filter((p) => p.spec?.nodeName === obj.metadata.name && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    const alloc = node.status?.allocatable ?? {};
    const pct = (name: string, v: number) => {
      const a = safeQuantity(alloc[name]);
      return a > 0 ? ` (${Math.trunc((v / a) * 100)}%)` : '';
    };
    w.write(0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
    if (pods.length) {
      w.write(1, 'Namespace\tName\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
      w.write(1, '---------\t----\t------------\t----------\t---------------\t-------------\t---\n');
      for (const p of pods) {
        const r = podResources(p);
        const cell = (m: Record<string, number>, n: string) => `${formatResource(n, m[n] ?? 0)}${pct(n, m[n] ?? 0)}`;
        w.write(1, `${p.metadata?.namespace ?? ''}\t${p.metadata?.name ?? ''}\t${cell(r.requests, 'cpu')}\t${cell(r.limits, 'cpu')}\t${cell(r.requests, 'memory')}\t${cell(r.limits, 'memory')}\t${age(p.metadata?.creationTimestamp, input.now)}\n`);
      }
    }
    const req: Record<string, number> = {};
    const lim: Record<string, number> = {};
    for (const p of pods) {
      const r = podResources(p);
      for (const [k, v] of Object.entries(r.requests)) req[k] = (req[k] ?? 0) + v;
      for (const [k, v] of Object.entries(r.limits)) lim[k] = (lim[k] ?? 0) + v;
    }
    w.write(0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
    w.write(1, 'Resource\tRequests\tLimits\n');
    w.write(1, '--------\t--------\t------\n');
    const names = ['cpu', 'memory', ...new Set([...Object.keys(alloc), ...Object.keys(req)].filter((k) => k !== 'cpu' && k !== 'memory' && k !== 'pods').sort())];
    for (const n of names) {
      const extended = n !== 'cpu' && n !== 'memory';
      const rq = formatResource(n, req[n] ?? 0) + (extended ? '' : pct(n, req[n] ?? 0));
      const lm = formatResource(n, lim[n] ?? 0) + (extended ? '' : pct(n, lim[n] ?? 0));
      w.write(1, `${n}\t${rq}\t${lm}\n`);
    }
    events(w, input.events, input.now);
    return w.toString();
  },
};

