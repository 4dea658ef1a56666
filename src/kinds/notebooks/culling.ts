/**
 * Idle culling, decided without I/O (Kubeflow's culler, CULL_IDLE_TIME semantics): each running
 * notebook is asked for its activity every check period; its last activity is kept in an annotation;
 * one idle longer than the limit gets `kubeflow-resource-stopped` with the time, which stops it.
 * What it is asked: JupyterLab's `/api/status` (`last_activity`: API requests, kernel and
 * terminal traffic; asking it is no activity). Only before a stop, when kernels run, is
 * `/api/kernels` asked too (a busy kernel is activity now, however quiet its output): a request
 * there counts as activity itself, so asking it every period would keep every notebook alive.
 */
import { NOTEBOOK_ANNOTATIONS } from './types.js';

/** What the notebook server said, or undefined when it did not answer (not started, not Jupyter). */
export interface ActivityProbe {
  /** `last_activity` of /api/status, ms since the epoch. */
  lastActivity?: number;
  /** A kernel is not idle (busy, starting); false until /api/kernels was asked. */
  busy: boolean;
  /** Kernels running (/api/status's `kernels`). */
  kernels: number;
}

export interface CullInput {
  annotations: Readonly<Record<string, string>>;
  /** The notebook's pod exists (upstream counts from the first check that finds it). */
  hasPod: boolean;
  now: number;
  cullIdleMs: number;
  checkPeriodMs: number;
}

export interface CullDecision {
  /** Annotations to set (a string) or remove (null); empty when nothing changes. */
  annotations: Record<string, string | null>;
  /** The notebook is to be stopped (the stop annotation is among `annotations`). */
  stop: boolean;
  /** When to look again (ms from now); undefined: not until the notebook changes. */
  nextCheckMs?: number;
}

/** RFC 3339 to the second, as Kubeflow writes these annotations. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function parse(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** Whether a check is due now; if so the caller probes and calls `cullDecision` with the answer. */
export function checkDue(input: CullInput): { due: boolean; waitMs?: number } {
  const { annotations, now, checkPeriodMs } = input;
  if (annotations[NOTEBOOK_ANNOTATIONS.stopped] !== undefined || !input.hasPod) return { due: false };
  const last = parse(annotations[NOTEBOOK_ANNOTATIONS.lastActivityCheck]);
  if (last === undefined || parse(annotations[NOTEBOOK_ANNOTATIONS.lastActivity]) === undefined) return { due: true };
  const next = last + checkPeriodMs;
  return now >= next ? { due: true } : { due: false, waitMs: next - now };
}

/**
 * The culler's step. Stopped or podless: the activity annotations go. First sight: both start at
 * now. Otherwise the last activity moves to the latest of what it was and what the server says
 * (now while a kernel is busy; unchanged when the server did not answer), and a notebook idle past
 * `cullIdleMs` (0: never) is stopped.
 */
export function cullDecision(input: CullInput, probe: ActivityProbe | undefined): CullDecision {
  const { annotations, now, cullIdleMs, checkPeriodMs } = input;
  const out: Record<string, string | null> = {};
  if (annotations[NOTEBOOK_ANNOTATIONS.stopped] !== undefined || !input.hasPod) {
    for (const k of [NOTEBOOK_ANNOTATIONS.lastActivity, NOTEBOOK_ANNOTATIONS.lastActivityCheck]) if (annotations[k] !== undefined) out[k] = null;
    return { annotations: out, stop: false };
  }
  let last = parse(annotations[NOTEBOOK_ANNOTATIONS.lastActivity]);
  if (last === undefined || parse(annotations[NOTEBOOK_ANNOTATIONS.lastActivityCheck]) === undefined) {
    out[NOTEBOOK_ANNOTATIONS.lastActivity] = rfc3339(now);
    out[NOTEBOOK_ANNOTATIONS.lastActivityCheck] = rfc3339(now);
    return { annotations: out, stop: false, nextCheckMs: checkPeriodMs };
  }
  if (probe?.busy) last = now;
  else if (probe?.lastActivity !== undefined && probe.lastActivity > last) last = Math.min(probe.lastActivity, now);
  const lastText = rfc3339(last);
  if (lastText !== annotations[NOTEBOOK_ANNOTATIONS.lastActivity]) out[NOTEBOOK_ANNOTATIONS.lastActivity] = lastText;
  out[NOTEBOOK_ANNOTATIONS.lastActivityCheck] = rfc3339(now);
  // The annotation is kept to the second: the idle time counts from that second.
  const idleMs = now - (parse(lastText) ?? last);
  if (cullIdleMs > 0 && idleMs > cullIdleMs) {
    out[NOTEBOOK_ANNOTATIONS.stopped] = rfc3339(now);
    return { annotations: out, stop: true };
  }
  return { annotations: out, stop: false, nextCheckMs: checkPeriodMs };
}

/** Reads JupyterLab's answers: /api/status's JSON and, when asked, /api/kernels' list. */
export function probeFrom(status: unknown, kernels?: unknown): ActivityProbe {
  const s = status as { last_activity?: unknown; kernels?: unknown } | null;
  const t = typeof s?.last_activity === 'string' ? Date.parse(s.last_activity) : NaN;
  const busy = Array.isArray(kernels) && kernels.some((k) => (k as { execution_state?: unknown })?.execution_state !== 'idle');
  return { ...(Number.isNaN(t) ? {} : { lastActivity: t }), busy, kernels: typeof s?.kernels === 'number' ? s.kernels : 0 };
}
