/**
 * End-to-end harness: a real `drover up` server process on a free port with its own
 * DROVER_HOME, and the real CLI binary run against it.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const EXAMPLES = join(REPO, 'examples');
const BIN = join(REPO, 'bin', 'drover.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface DroverOptions {
  cpus?: string;
  memory?: string;
  gpus?: number;
  labels?: string[];
  env?: Record<string, string>;
  /** Run pods in a Kubernetes cluster instead of on this machine. */
  kubernetes?: { kubeconfig: string; namespace: string };
  /** `$DROVER_HOME/config.yaml`, written before the server first starts. */
  config?: string;
}

export class Drover {
  readonly home: string;
  url = '';
  private server?: ChildProcess;
  private serverLog = '';

  private constructor(private readonly opts: DroverOptions) {
    this.home = mkdtempSync(join(tmpdir(), 'drover-e2e-'));
    if (opts.config !== undefined) writeFileSync(join(this.home, 'config.yaml'), opts.config);
  }

  static async start(opts: DroverOptions = {}): Promise<Drover> {
    const d = new Drover(opts);
    await d.up();
    return d;
  }

  get env(): NodeJS.ProcessEnv {
    // Short back-offs keep retry scenarios fast; the semantics are the same as with 10 s.
    return { ...process.env, DROVER_HOME: this.home, DROVER_SERVER: this.url, DROVER_JOB_BACKOFF_SECONDS: '0.2', DROVER_RESTART_BACKOFF_SECONDS: '0.2', ...this.opts.env };
  }

  /** Starts (or restarts) the server on the same home; `env` adds to the options' for this start only. */
  async up(env: Record<string, string> = {}): Promise<void> {
    const args = [BIN, 'up', '--port', '0', '--home', this.home];
    if (this.opts.cpus) args.push('--cpus', this.opts.cpus);
    if (this.opts.memory) args.push('--memory', this.opts.memory);
    if (this.opts.gpus !== undefined) args.push('--gpus', String(this.opts.gpus));
    for (const l of this.opts.labels ?? []) args.push('--node-label', l);
    if (this.opts.kubernetes) args.push('--runtime', 'kubernetes', '--kubeconfig', this.opts.kubernetes.kubeconfig, '--namespace', this.opts.kubernetes.namespace);
    rmSync(join(this.home, 'server.json'), { force: true });
    const child = spawn(process.execPath, args, { env: { ...this.env, ...env, DROVER_SERVER: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.server = child;
    child.stdout!.on('data', (d: Buffer) => (this.serverLog += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.serverLog += d.toString()));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`drover up exited with ${child.exitCode}:\n${this.serverLog}`);
      const file = join(this.home, 'server.json');
      if (existsSync(file)) {
        let info: { url: string; pid: number } | undefined;
        try {
          info = JSON.parse(readFileSync(file, 'utf8')) as { url: string; pid: number };
        } catch {
          // Being written; look again.
        }
        if (info?.pid === child.pid) {
          this.url = info!.url;
          return;
        }
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    // Never leave a server behind: it would keep the test process alive.
    child.kill('SIGKILL');
    throw new Error(`drover up did not start in 30 s:\n${this.serverLog}`);
  }

  /** Kills the server with SIGKILL, as a crash would. */
  async kill9(): Promise<void> {
    const child = this.server!;
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  }

  get logs(): string {
    return this.serverLog;
  }

  /** Runs the CLI in `cwd` (default the repository), which is also the directory of a manifest read from stdin. */
  cli(args: string[], input?: string, cwd = REPO): Promise<CliResult> {
    return new Promise((resolvePromise) => {
      const child = execFile(process.execPath, [BIN, ...args], { env: this.env, cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      });
      if (input !== undefined) child.stdin!.end(input);
    });
  }

  /** Runs the CLI and fails with its output when it exits non-zero. */
  async ok(args: string[], input?: string, cwd?: string): Promise<string> {
    const r = await this.cli(args, input, cwd);
    if (r.code !== 0) throw new Error(`drover ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nserver:\n${this.serverLog.slice(-4000)}`);
    return r.stdout;
  }

  async json<T = Record<string, unknown>>(args: string[]): Promise<T> {
    return JSON.parse(await this.ok([...args, '-o', 'json'])) as T;
  }

  /** The admin's bearer token, read from the kubeconfig the server wrote, as any client finds it. */
  get token(): string {
    const config = JSON.parse(readFileSync(join(this.home, 'kubeconfig'), 'utf8')) as { users: { user: { token?: string } }[] };
    return config.users[0]?.user.token ?? '';
  }

  /** The CA the kubeconfig trusts for an HTTPS server (PEM), if any. */
  get ca(): string | undefined {
    const config = JSON.parse(readFileSync(join(this.home, 'kubeconfig'), 'utf8')) as { clusters: { cluster: { 'certificate-authority-data'?: string } }[] };
    const data = config.clusters[0]?.cluster['certificate-authority-data'];
    return data ? Buffer.from(data, 'base64').toString('utf8') : undefined;
  }

  /**
   * `fetch` of a path of the server, with the admin's token. An HTTPS server's answer is read
   * whole through node:https with the kubeconfig's CA (fetch cannot be given a CA).
   */
  async api(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${this.token}` };
    if (!this.url.startsWith('https:')) return fetch(`${this.url}${path}`, { ...init, headers });
    const { request } = await import('node:https');
    return new Promise((resolvePromise, reject) => {
      const req = request(`${this.url}${path}`, { method: init.method ?? 'GET', headers, ca: this.ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: res.headers as Record<string, string> })));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(typeof init.body === 'string' ? init.body : undefined);
    });
  }

  private async deleteAll(listPath: string, nsPrefix: string): Promise<void> {
    try {
      const list = (await (await this.api(listPath)).json()) as { items: { metadata: { name: string; namespace: string } }[] };
      const plural = listPath.split('/').pop();
      for (const o of list.items) await this.api(`${nsPrefix}/${o.metadata.namespace}/${plural}/${o.metadata.name}`, { method: 'DELETE' });
    } catch {
      // The server is already gone.
    }
  }

  async stop(): Promise<void> {
    const child = this.server;
    if (child && child.exitCode === null && child.signalCode === null) {
      // Delete everything first so no process outlives the test.
      await this.deleteAll('/apis/kubeflow.org/v1beta1/experiments', '/apis/kubeflow.org/v1beta1/namespaces');
      await this.deleteAll('/apis/kubeflow.org/v1/notebooks', '/apis/kubeflow.org/v1/namespaces');
      await this.deleteAll('/apis/argoproj.io/v1alpha1/cronworkflows', '/apis/argoproj.io/v1alpha1/namespaces');
      await this.deleteAll('/apis/argoproj.io/v1alpha1/workflows', '/apis/argoproj.io/v1alpha1/namespaces');
      await this.deleteAll('/apis/batch/v1/jobs', '/apis/batch/v1/namespaces');
      await this.deleteAll('/api/v1/pods', '/api/v1/namespaces');
      await sleep(100);
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(this.home, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
