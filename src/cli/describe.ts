/**
 * `describe` output, per kind, modelled on kubectl's describers (k8s.io/kubectl/pkg/describe):
 * `Key:<TAB>value` lines at indentation levels, aligned by the tabwriter, and the object's Events
 * at the bottom. Kinds without a describer get the generic one (every field, labels split from
 * camelCase), so new kinds describe sensibly before anyone writes theirs.
 */
import type { KubeObject, Pod, Job, Node, PersistentVolumeClaim, Container, ContainerStatus, Volume } from '../api/types.js';
import type { ContainerState, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../api/quantity.js';
import { Tabwriter, DESCRIBE_OPTIONS } from './tabwriter.js';
import { age, humanDuration, rfc1123z } from './units.js';
import { formatLabelSelector, nodeRoles, compareEvents, pvcAccessModes, pvcCapacity } from './printers.js';
import { renderWorkflow } from '../kinds/workflows/cli/tree.js';
import { asWorkflow } from '../kinds/workflows/cli/status.js';
import { writeExperiment, writeTrial } from '../kinds/experiments/cli/describe.js';

export interface DescribeInput {
  /** Events whose involvedObject is this object. */
  events: KubeObject[];
  /** Pods of the object's namespace (PVC "Used By") or bound to the node (Node); only for describers that ask. */
  pods?: Pod[];
  now: number;
  /** Minutes east of UTC for timestamps; the machine's zone when absent. */
  tzOffsetMinutes?: number;
}

export interface Describer {
  /** The command should fetch pods for this kind (`namespace` or bound to the `node`). */
  needsPods?: 'namespace' | 'node';
  describe(obj: KubeObject, input: DescribeInput): string;
}

const describers = new Map<string, Describer>();

export function registerDescriber(kind: string, d: Describer): void {
  describers.set(kind, d);
}

export function describerFor(kind: string): Describer {
  return describers.get(kind) ?? genericDescriber;
}

export function describe(obj: KubeObject, input: DescribeInput): string {
  return describerFor(obj.kind).describe(obj, input);
}

// ---------------------------------------------------------------- the writer

const INDENT = ['', '  ', '    ', '      ', '        '];

class PrefixWriter {
  private buf = '';
  write(level: number, text: string): void {
    this.buf += (INDENT[level] ?? '  '.repeat(level)) + text;
  }
  toString(): string {
    return new Tabwriter(DESCRIBE_OPTIONS).format(this.buf);
  }
}

type Ts = (t: string | undefined) => string;

function timeFormatter(input: DescribeInput): Ts {
  return (t) => (t ? rfc1123z(t, input.tzOffsetMinutes) : '<unknown>');
}

const sortedKeys = (o: Record<string, unknown> | undefined | null) => Object.keys(o ?? {}).sort();

function multiline(w: PrefixWriter, level: number, title: string, map: Record<string, string> | undefined | null, skip: string[] = []): void {
  w.write(level, `${title}:\t`);
  const keys = sortedKeys(map).filter((k) => !skip.includes(k));
  if (keys.length === 0) {
    w.write(0, '<none>\n');
    return;
  }
  keys.forEach((k, i) => {
    const line = `${k}=${map![k]}\n`;
    if (i === 0) w.write(0, line);
    else w.write(level, `\t${line}`);
  });
}

function labels(w: PrefixWriter, level: number, obj: { metadata?: KubeObject['metadata'] }): void {
  multiline(w, level, 'Labels', obj.metadata?.labels);
}

function annotations(w: PrefixWriter, level: number, obj: { metadata?: KubeObject['metadata'] }): void {
  multiline(w, level, 'Annotations', obj.metadata?.annotations, ['kubectl.kubernetes.io/last-applied-configuration']);
}

function controlledBy(w: PrefixWriter, obj: KubeObject): void {
  const owner = obj.metadata.ownerReferences?.find((r) => r.controller);
  if (owner) w.write(0, `Controlled By:\t${owner.kind}/${owner.name}\n`);
}

/** The Events section, kubectl's DescribeEvents. */
function events(w: PrefixWriter, list: KubeObject[], now: number): void {
  if (list.length === 0) {
    w.write(0, 'Events:\t<none>\n');
    return;
  }
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(1, '----\t------\t----\t----\t-------\n');
  for (const e of [...list].sort(compareEvents)) {
    const ev = e as KubeObject & {
      type?: string; reason?: string; message?: string; count?: number; eventTime?: string; firstTimestamp?: string; lastTimestamp?: string;
      series?: { count?: number; lastObservedTime?: string }; source?: { component?: string }; reportingComponent?: string; reportingController?: string;
    };
    const first = age(ev.eventTime || ev.firstTimestamp || e.metadata.creationTimestamp, now);
    let interval = first;
    if (ev.series) interval = `${age(ev.series.lastObservedTime, now)} (x${ev.series.count ?? 1} over ${first})`;
    else if ((ev.count ?? 1) > 1) interval = `${age(ev.lastTimestamp, now)} (x${ev.count} over ${first})`;
    const source = ev.source?.component || ev.reportingController || ev.reportingComponent || '';
    w.write(1, `${ev.type ?? ''}\t${ev.reason ?? ''}\t${interval}\t${source}\t${(ev.message ?? '').trim()}\n`);
  }
}

// ---------------------------------------------------------------- containers and pod templates

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

function describePodTemplate(w: PrefixWriter, template: PodTemplateSpec | undefined): void {
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

// ---------------------------------------------------------------- per kind

function conditionsTable(w: PrefixWriter, conds: { type?: string; status?: string; reason?: string; message?: string }[] | undefined): void {
  if (!conds?.length) return;
  w.write(0, 'Conditions:\n  Type\tStatus\tReason\tMessage\n');
  w.write(1, '----\t------\t------\t-------\n');
  for (const c of conds) w.write(1, `${c.type ?? ''}\t${c.status ?? ''}\t${c.reason ?? ''}\t${(c.message ?? '').trim()}\n`);
}

registerDescriber('Job', {
  describe(obj, input) {
    const job = obj as Job;
    const ts = timeFormatter(input);
    const w = new PrefixWriter();
    const spec = job.spec;
    const status = job.status ?? {};
    w.write(0, `Name:\t${obj.metadata.name}\n`);
    w.write(0, `Namespace:\t${obj.metadata.namespace}\n`);
    w.write(0, `Selector:\t${formatLabelSelector(spec?.selector)}\n`);
    labels(w, 0, obj);
    annotations(w, 0, obj);
    controlledBy(w, obj);
    w.write(0, `Parallelism:\t${spec?.parallelism ?? 1}\n`);
    w.write(0, `Completions:\t${spec?.completions ?? '<unset>'}\n`);
    w.write(0, `Completion Mode:\t${spec?.completionMode ?? 'NonIndexed'}\n`);
    w.write(0, `Suspend:\t${spec?.suspend ? 'true' : 'false'}\n`);
    w.write(0, `Backoff Limit:\t${spec?.backoffLimit ?? 6}\n`);
    if (spec?.ttlSecondsAfterFinished != null) w.write(0, `TTL Seconds After Finished:\t${spec.ttlSecondsAfterFinished}\n`);
    if (status.startTime) w.write(0, `Start Time:\t${ts(status.startTime)}\n`);
    if (status.completionTime) {
      w.write(0, `Completed At:\t${ts(status.completionTime)}\n`);
      if (status.startTime) w.write(0, `Duration:\t${humanDuration(Date.parse(status.completionTime) - Date.parse(status.startTime))}\n`);
    }
    if (spec?.activeDeadlineSeconds != null) w.write(0, `Active Deadline Seconds:\t${spec.activeDeadlineSeconds}s\n`);
    const ready = status.ready != null ? ` (${status.ready} Ready)` : '';
    w.write(0, `Pods Statuses:\t${status.active ?? 0} Active${ready} / ${status.succeeded ?? 0} Succeeded / ${status.failed ?? 0} Failed\n`);
    if (spec?.completionMode === 'Indexed') w.write(0, `Completed Indexes:\t${status.completedIndexes || '<none>'}\n`);
    conditionsTable(w, status.conditions);
    describePodTemplate(w, spec?.template);
    events(w, input.events, input.now);
    return w.toString();
  },
});

registerDescriber('Pod', {
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
});

/** The pod's QoS class as Kubernetes derives it from requests and limits. */
export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l;
      if (l === undefined || q === undefined || String(q) !== String(l)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function simpleHeader(w: PrefixWriter, obj: KubeObject): void {
  w.write(0, `Name:\t${obj.metadata.name}\n`);
  if (obj.metadata.namespace) w.write(0, `Namespace:\t${obj.metadata.namespace}\n`);
  labels(w, 0, obj);
  annotations(w, 0, obj);
}

registerDescriber('ConfigMap', {
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
});

registerDescriber('Secret', {
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
});

registerDescriber('Namespace', {
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
});

registerDescriber('PersistentVolumeClaim', {
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
});

/** Sum of a pod's effective requests and limits, as the scheduler counts them (init containers take the max). */
export function podResources(pod: Pod): { requests: Record<string, number>; limits: Record<string, number> } {
  const sum = (which: 'requests' | 'limits') => {
    const total: Record<string, number> = {};
    for (const c of pod.spec?.containers ?? []) {
      const m = which === 'requests' ? { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) } : (c.resources?.limits ?? {});
      for (const [k, v] of Object.entries(m)) total[k] = (total[k] ?? 0) + safeQuantity(v);
    }
    for (const c of pod.spec?.initContainers ?? []) {
      const m = which === 'requests' ? { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) } : (c.resources?.limits ?? {});
      for (const [k, v] of Object.entries(m)) total[k] = Math.max(total[k] ?? 0, safeQuantity(v));
    }
    for (const [k, v] of Object.entries(pod.spec?.overhead ?? {})) total[k] = (total[k] ?? 0) + safeQuantity(v);
    return total;
  };
  return { requests: sum('requests'), limits: sum('limits') };
}

export function safeQuantity(v: unknown): number {
  try {
    return parseQuantity(typeof v === 'number' ? v : String(v));
  } catch {
    return 0;
  }
}

/** A resource amount as kubectl shows it: cpu in millicores (`250m`, `2`), memory in binary units, else a count. */
export function formatResource(name: string, value: number): string {
  if (name === 'cpu') {
    const m = Math.round(value * 1000);
    return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
  }
  if (name === 'memory' || name.startsWith('hugepages-') || name === 'ephemeral-storage') {
    if (value === 0) return '0';
    for (const [s, size] of [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
      if (value >= size && value % size === 0) return `${value / size}${s}`;
    }
    return String(Math.round(value));
  }
  return String(Math.round(value * 1000) / 1000);
}

registerDescriber('Node', {
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
});

/** A Workflow: `argo get`'s header and tree, its labels, then its events. */
registerDescriber('Workflow', {
  describe(obj, input) {
    const wf = asWorkflow(obj);
    const opts = input.tzOffsetMinutes === undefined ? { now: input.now } : { now: input.now, tzOffsetMinutes: input.tzOffsetMinutes };
    const text = renderWorkflow(wf, opts);
    const w = new PrefixWriter();
    labels(w, 0, obj);
    annotations(w, 0, obj);
    const meta = w.toString();
    const ev = new PrefixWriter();
    events(ev, input.events, input.now);
    return `${text}\n${meta}${ev.toString()}`;
  },
});

/** Katib kinds: the header, the body from experiments/describe.ts, then events. */
registerDescriber('Experiment', {
  describe(obj, input) {
    const w = new PrefixWriter();
    simpleHeader(w, obj);
    writeExperiment(w, obj, { now: input.now, ts: timeFormatter(input) });
    events(w, input.events, input.now);
    return w.toString();
  },
});

registerDescriber('Trial', {
  describe(obj, input) {
    const w = new PrefixWriter();
    simpleHeader(w, obj);
    controlledBy(w, obj);
    writeTrial(w, obj, { now: input.now, ts: timeFormatter(input) });
    events(w, input.events, input.now);
    return w.toString();
  },
});

// ---------------------------------------------------------------- generic

/** `activeDeadlineSeconds` → `Active Deadline Seconds`, as kubectl's generic describer labels fields. */
export function smartLabel(field: string): string {
  const words = field
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_-]+/)
    .filter(Boolean);
  return words.map((w) => (w === w.toUpperCase() ? w : w[0]!.toUpperCase() + w.slice(1))).join(' ');
}

function genericValue(w: PrefixWriter, level: number, key: string, value: unknown): void {
  if (value === null || value === undefined) {
    w.write(level, `${key}:\t<nil>\n`);
  } else if (Array.isArray(value)) {
    if (value.length === 0) {
      w.write(level, `${key}:\t[]\n`);
      return;
    }
    w.write(level, `${key}:\n`);
    for (const item of value) {
      if (item !== null && typeof item === 'object') {
        const entries = Object.entries(item as Record<string, unknown>);
        entries.forEach(([k, v], i) => {
          // Items of a list start with their first field, like kubectl's generic describer.
          if (i === 0 && (v === null || typeof v !== 'object')) w.write(level + 1, `${smartLabel(k)}:\t${String(v)}\n`);
          else genericValue(w, level + 1, smartLabel(k), v);
        });
      } else {
        w.write(level + 1, `${String(item)}\n`);
      }
    }
  } else if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) {
      w.write(level, `${key}:\n`);
      return;
    }
    w.write(level, `${key}:\n`);
    for (const [k, v] of entries) genericValue(w, level + 1, key === 'Labels' || key === 'Annotations' ? k : smartLabel(k), v);
  } else {
    w.write(level, `${key}:\t${String(value)}\n`);
  }
}

export const genericDescriber: Describer = {
  describe(obj, input) {
    const w = new PrefixWriter();
    simpleHeader(w, obj);
    w.write(0, `API Version:\t${obj.apiVersion}\n`);
    w.write(0, `Kind:\t${obj.kind}\n`);
    const meta: Record<string, unknown> = { ...obj.metadata };
    for (const k of ['name', 'namespace', 'labels', 'annotations', 'managedFields']) delete meta[k];
    genericValue(w, 0, 'Metadata', meta);
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
      genericValue(w, 0, smartLabel(k), v);
    }
    events(w, input.events, input.now);
    return w.toString();
  },
};
