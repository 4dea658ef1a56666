/**
 * Container probes, as the kubelet runs them: a startup probe first (the others wait for it), then
 * readiness (whether the container is ready: Services send it traffic, the pod's Ready condition)
 * and liveness (a container that fails it is killed, then restarted per the pod's policy). Each
 * runs every periodSeconds after initialDelaySeconds; a verdict changes after successThreshold
 * successes or failureThreshold failures in a row. A handler is an HTTP GET (2xx and 3xx pass), a
 * TCP connect, or a command run inside the container (exit 0 passes).
 *
 * The plan and the tally are pure; ContainerProber keeps the timers (an injected clock) and calls
 * back the pod worker, which owns the container and its status.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../../util/clock.js';
import type { ExecProcess } from '../types.js';

export type ProbeKind = 'startup' | 'readiness' | 'liveness';

export type ProbeHandler =
  | { exec: string[] }
  | { http: { scheme: 'HTTP' | 'HTTPS'; port: number; path: string; headers: Record<string, string> } }
  | { tcp: { port: number } }
  /** A handler that cannot run (a named port the container does not declare): each run fails with this. */
  | { error: string };

export interface ProbePlan {
  kind: ProbeKind;
  handler: ProbeHandler;
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** What one run of a handler found. */
export interface ProbeResult {
  ok: boolean;
  /** Why it failed, in the kubelet's words (`HTTP probe failed with statuscode: 500`). */
  message?: string;
}

const FIELD: Record<ProbeKind, 'startupProbe' | 'readinessProbe' | 'livenessProbe'> = { startup: 'startupProbe', readiness: 'readinessProbe', liveness: 'livenessProbe' };

function missingPort(c: Container, port: number | string | undefined): ProbeHandler {
  return { error: `couldn't find port: ${String(port ?? '')} in container ${c.name}` };
}

function portOf(c: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

/**
 * The container's probe of that kind with Kubernetes' defaults filled in; undefined when it has
 * none. A port name the container does not declare (validation refuses it in a Pod; a workflow's
 * sidecar can still carry one) makes a probe that fails every run, as the kubelet's does.
 */
export function probePlan(c: Container, kind: ProbeKind): ProbePlan | undefined {
  const p: Probe | undefined = c[FIELD[kind]];
  if (!p) return undefined;
  let handler: ProbeHandler | undefined;
  if (p.exec?.command?.length) handler = { exec: p.exec.command };
  else if (p.httpGet) {
    const port = portOf(c, p.httpGet.port);
    const headers: Record<string, string> = {};
    for (const h of p.httpGet.httpHeaders ?? []) headers[h.name] = h.value;
    // Always the pod's own address: a `host` (refused at validation) would have the server, on its
    // own network, reach what the pod cannot.
    handler = port === undefined ? missingPort(c, p.httpGet.port) : { http: { scheme: p.httpGet.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP', port, path: p.httpGet.path || '/', headers } };
  } else if (p.tcpSocket) {
    const port = portOf(c, p.tcpSocket.port);
    handler = port === undefined ? missingPort(c, p.tcpSocket.port) : { tcp: { port } };
  }
  if (!handler) return undefined;
  return {
    kind,
    handler,
    initialDelayMs: (p.initialDelaySeconds ?? 0) * 1000,
    periodMs: (p.periodSeconds || 10) * 1000,
    timeoutMs: (p.timeoutSeconds || 1) * 1000,
    successThreshold: p.successThreshold || 1,
    failureThreshold: p.failureThreshold || 3,
  };
}

/**
 * Consecutive results of one probe and its verdict. Readiness and startup start failing (not
 * ready, not started); liveness starts passing: a container is alive until proven otherwise.
 */
export class ProbeTally {
  passing: boolean;
  private successes = 0;
  private failures = 0;

  constructor(readonly plan: Pick<ProbePlan, 'kind' | 'successThreshold' | 'failureThreshold'>) {
    this.passing = plan.kind === 'liveness';
  }

  /** Records one result; true when the verdict changed. */
  record(ok: boolean): boolean {
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (!this.passing && this.successes >= this.plan.successThreshold) return (this.passing = true);
    } else {
      this.successes = 0;
      this.failures++;
      if (this.passing && this.failures >= this.plan.failureThreshold) return !(this.passing = false);
      // A startup probe that never passed fails for good at its threshold.
      if (this.plan.kind === 'startup' && this.failures === this.plan.failureThreshold) return true;
    }
    return false;
  }

  /** Failures in a row (an Unhealthy event is recorded at the first of a run). */
  get failuresInARow(): number {
    return this.failures;
  }
}

export interface ProberEvents {
  /** The container's started or ready flag changed: its status is to be written. */
  changed(): void;
  /** A liveness probe failed its threshold, or a startup probe did: the container is to be killed. */
  failed(kind: 'liveness' | 'startup', message: string): void;
  /** The first failure of a run: a Warning event `Unhealthy`. */
  unhealthy(kind: ProbeKind, message: string): void;
}

/**
 * The probes of one container attempt. The startup probe runs alone until it passes; then
 * readiness and liveness run, each on its own period. Stops when told, or after a kill it asked for.
 */
export class ContainerProber {
  private readonly tallies = new Map<ProbeKind, ProbeTally>();
  private readonly cancels = new Map<ProbeKind, () => void>();
  private stopped = false;
  private startedAt = 0;

  constructor(
    private readonly plans: readonly ProbePlan[],
    private readonly run: (handler: ProbeHandler, timeoutMs: number) => Promise<ProbeResult>,
    private readonly clock: Clock,
    private readonly on: ProberEvents,
  ) {
    for (const p of plans) this.tallies.set(p.kind, new ProbeTally(p));
  }

  /** Started: no startup probe, or it has passed. */
  get started(): boolean {
    return this.tallies.get('startup')?.passing ?? true;
  }

  /** Ready: started, and no readiness probe or it passes. */
  get ready(): boolean {
    return this.started && (this.tallies.get('readiness')?.passing ?? true);
  }

  start(): void {
    this.startedAt = this.clock.now();
    if (this.tallies.has('startup')) this.schedule('startup', true);
    else this.startMain();
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.cancels.values()) cancel();
    this.cancels.clear();
  }

  private startMain(): void {
    for (const kind of ['readiness', 'liveness'] as const) if (this.tallies.has(kind)) this.schedule(kind, true);
  }

  private schedule(kind: ProbeKind, first: boolean): void {
    if (this.stopped) return;
    const plan = this.plans.find((p) => p.kind === kind)!;
    // initialDelaySeconds counts from the container's start, for a probe that waited for the startup probe too.
    const delay = first ? Math.max(0, this.startedAt + plan.initialDelayMs - this.clock.now()) : plan.periodMs;
    this.cancels.set(kind, this.clock.setTimer(delay, () => void this.probe(plan)));
  }

  private async probe(plan: ProbePlan): Promise<void> {
    if (this.stopped) return;
    let result: ProbeResult;
    try {
      result = await this.run(plan.handler, plan.timeoutMs);
    } catch (err) {
      result = { ok: false, message: (err as Error).message };
    }
    if (this.stopped) return;
    const tally = this.tallies.get(plan.kind)!;
    const changed = tally.record(result.ok);
    const name = `${plan.kind[0]!.toUpperCase()}${plan.kind.slice(1)} probe failed: ${result.message ?? 'failed'}`;
    if (!result.ok && tally.failuresInARow === 1) this.on.unhealthy(plan.kind, name);
    if (plan.kind === 'startup') {
      if (tally.passing) {
        this.on.changed();
        this.startMain();
        return;
      }
      if (changed) return this.failed('startup', name);
    } else if (changed) {
      if (plan.kind === 'liveness' && !tally.passing) return this.failed('liveness', name);
      this.on.changed();
    }
    this.schedule(plan.kind, false);
  }

  private failed(kind: 'liveness' | 'startup', message: string): void {
    this.stop();
    this.on.failed(kind, message);
  }
}

/** Where a handler runs: the pod's address, and a way to run a command in the container. */
export interface ProbeTarget {
  podIP: string;
  exec(command: string[]): Promise<ExecProcess>;
}

/** How much of an exec probe's output, or an HTTP body, is read: the kubelet keeps 10 KiB. */
const OUTPUT_LIMIT = 10 * 1024;

/** Runs a handler once against the container, within `timeoutMs`. */
export function runProbeHandler(target: ProbeTarget, handler: ProbeHandler, timeoutMs: number): Promise<ProbeResult> {
  if ('error' in handler) return Promise.resolve({ ok: false, message: `Probe errored: ${handler.error}` });
  if ('http' in handler) return httpProbe(target.podIP, handler.http, timeoutMs);
  if ('tcp' in handler) return tcpProbe(target.podIP, handler.tcp.port, timeoutMs);
  return execProbe(target, handler.exec, timeoutMs);
}

function httpProbe(podIP: string, h: Extract<ProbeHandler, { http: unknown }>['http'], timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const host = podIP;
    const send = h.scheme === 'HTTPS' ? httpsRequest : httpRequest;
    // As the kubelet: its own User-Agent unless the probe sets one; a certificate is not checked.
    const headers = { 'user-agent': 'kube-probe/1.35', accept: '*/*', ...Object.fromEntries(Object.entries(h.headers).map(([k, v]) => [k.toLowerCase(), v])) };
    const req = send({ host, port: h.port, path: h.path, method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      const code = res.statusCode ?? 0;
      res.resume();
      resolve(code >= 200 && code < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => req.destroy(new Error(`Get "${h.scheme.toLowerCase()}://${host}:${h.port}${h.path}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)));
    req.on('error', (err) => resolve({ ok: false, message: err.message.startsWith('Get "') ? err.message : `Get "${h.scheme.toLowerCase()}://${host}:${h.port}${h.path}": ${err.message}` }));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (r: ProbeResult) => {
      s.destroy();
      resolve(r);
    };
    s.setTimeout(timeoutMs, () => done({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }));
    s.once('connect', () => done({ ok: true }));
    s.once('error', (err) => done({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` }));
  });
}

async function execProbe(target: ProbeTarget, command: string[], timeoutMs: number): Promise<ProbeResult> {
  const p = await target.exec(command);
  p.stdin.end();
  let out = '';
  const keep = (b: Buffer) => {
    if (out.length < OUTPUT_LIMIT) out += b.toString('utf8').slice(0, OUTPUT_LIMIT - out.length);
  };
  p.stdout.on('data', keep);
  p.stderr?.on('data', keep);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const code = await Promise.race([p.exited, timedOut]);
  clearTimeout(timer);
  if (code === 'timeout') {
    p.kill();
    return { ok: false, message: `command timed out after ${timeoutMs / 1000}s` };
  }
  return code === 0 ? { ok: true } : { ok: false, message: out.trim() || `command ${JSON.stringify(command.join(' '))} exited with ${code}` };
}
