/**
 * `describe` output as kubectl's describers write it (k8s.io/kubectl/pkg/describe): `Key:<TAB>value`
 * lines at indentation levels, aligned by the tabwriter, and the object's Events at the bottom;
 * the sections every kind shares, and the generic describer (every field, labels split from
 * camelCase) for kinds without one of their own. Each kind's describer lives in
 * src/kinds/<family>/cli.
 */
import type { KubeObject, Pod } from '../api/types.js';
import { Tabwriter, DESCRIBE_OPTIONS } from './tabwriter.js';
import { age, rfc1123z } from './units.js';
import { compareEvents } from './events.js';

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

const INDENT = ['', '  ', '    ', '      ', '        '];

export class PrefixWriter {
  private buf = '';
  write(level: number, text: string): void {
    this.buf += (INDENT[level] ?? '  '.repeat(level)) + text;
  }
  toString(): string {
    return new Tabwriter(DESCRIBE_OPTIONS).format(this.buf);
  }
}

export type Ts = (t: string | undefined) => string;

export function timeFormatter(input: DescribeInput): Ts {
  return (t) => (t ? rfc1123z(t, input.tzOffsetMinutes) : '<unknown>');
}

export const sortedKeys = (o: Record<string, unknown> | undefined | null) => Object.keys(o ?? {}).sort();

export function multiline(w: PrefixWriter, level: number, title: string, map: Record<string, string> | undefined | null, skip: string[] = []): void {
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

export function labels(w: PrefixWriter, level: number, obj: { metadata?: KubeObject['metadata'] }): void {
  multiline(w, level, 'Labels', obj.metadata?.labels);
}

export function annotations(w: PrefixWriter, level: number, obj: { metadata?: KubeObject['metadata'] }): void {
  multiline(w, level, 'Annotations', obj.metadata?.annotations, ['kubectl.kubernetes.io/last-applied-configuration']);
}

export function controlledBy(w: PrefixWriter, obj: KubeObject): void {
  const owner = obj.metadata.ownerReferences?.find((r) => r.controller);
  if (owner) w.write(0, `Controlled By:\t${owner.kind}/${owner.name}\n`);
}

/** The Events section, kubectl's DescribeEvents. */
export function events(w: PrefixWriter, list: KubeObject[], now: number): void {
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

export function conditionsTable(w: PrefixWriter, conds: { type?: string; status?: string; reason?: string; message?: string }[] | undefined): void {
  if (!conds?.length) return;
  w.write(0, 'Conditions:\n  Type\tStatus\tReason\tMessage\n');
  w.write(1, '----\t------\t------\t-------\n');
  for (const c of conds) w.write(1, `${c.type ?? ''}\t${c.status ?? ''}\t${c.reason ?? ''}\t${(c.message ?? '').trim()}\n`);
}

export function simpleHeader(w: PrefixWriter, obj: KubeObject): void {
  w.write(0, `Name:\t${obj.metadata.name}\n`);
  if (obj.metadata.namespace) w.write(0, `Namespace:\t${obj.metadata.namespace}\n`);
  labels(w, 0, obj);
  annotations(w, 0, obj);
}

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
