/**
 * Pods' network namespaces on one machine: a Linux bridge (`drover0`) holding the gateway (the
 * range's first address), and per pod a network namespace (`/run/netns/drover-<uid>`, as
 * `ip netns` makes them) with one end of a veth pair as `eth0`, its own address and a default
 * route through the gateway; the other end is enslaved to the bridge. Each server also takes one
 * address of the range for itself (on the bridge, /32): its DNS resolver and the API pods reach.
 *
 * Addresses are claimed machine-wide with entries made exclusively under
 * `/run/drover/net/<bridge>/<ip>`, naming the pod's uid and the server's home, so several
 * servers can share the bridge, and a restarted server finds its pods' addresses again. Each is a
 * symbolic link whose target is the claim's JSON: made, read and replaced atomically, it is never
 * seen half written, and replacing one (a spare given to a pod) costs no data write; on ext4 a
 * file renamed over another forces its data out first, ≈ 0.5 ms on every pod's path. Where /run
 * is a tmpfs, claims, namespaces and links all go with a reboot, together.
 *
 * Making the bridge and removing it (the last server's `drover down`) are done under a
 * machine-wide lock (`<bridge>.lock`, a directory made exclusively): without it a server
 * shutting down could see no claims, while another starting had yet to write its own, and take
 * the bridge away from under the new server's address.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync, readlinkSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cidrContains, firstFree, gatewayOf, parseCidr, type Cidr } from './ipam.js';

const run = promisify(execFile);

export const NETNS_DIR = '/run/netns';
export const CLAIMS_ROOT = '/run/drover/net';
/** What a claim holds. */
export interface Claim {
  /** A pod's uid, `server`, or a spare namespace's id (`spare-…`). */
  owner: string;
  home: string;
  /** What the pod's namespace and veth are named after, when not its uid: the spare it took. */
  netns?: string;
}

/** The claim at `file`, or undefined when there is none or it cannot be read (a claim file of an older server is read too). Synchronous: a link or a small file, read at start and when a ClusterIP is claimed. */
export function readClaimSync(file: string): Claim | undefined {
  try {
    return JSON.parse(readlinkSync(file)) as Claim;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') return undefined;
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Claim;
  } catch {
    return undefined;
  }
}

/**
 * An empty claim file a minute old: an older server made it and died before writing it (claims
 * were files then, made and written in two steps). Nobody will ever write it now.
 */
async function leftEmpty(file: string): Promise<boolean> {
  const st = await fsp.lstat(file).catch(() => undefined);
  return !!st && st.isFile() && st.size === 0 && Date.now() - st.mtimeMs > 60_000;
}

/** Makes the claim at `file`; EEXIST when there is one. */
function makeClaim(file: string, claim: Claim): Promise<void> {
  return fsp.symlink(JSON.stringify(claim), file);
}

/**
 * Replaces the claim at `file` in one step (a link made beside it, renamed over it): a crash
 * leaves the old claim or the new one. A claim's link is too long to live in its inode, and the
 * block of the one replaced is freed with it, which on a disk mounted with `discard` waits for the
 * device (≈ 0.6 ms on the CI machine). A pod taking a spare does it in line (`replaceClaimSync`):
 * the thread pool may be queued behind cleanups' unlinks, each waiting the same way, and the
 * pod's start waits for it; a namespace coming back as a spare does it on the thread pool.
 */
async function replaceClaim(file: string, tmpTag: string, claim: Claim): Promise<void> {
  const tmp = `${file}.${tmpTag}.tmp`;
  const target = JSON.stringify(claim);
  try {
    await fsp.symlink(target, tmp);
  } catch (err) {
    // Left by a crash between the two steps.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    await fsp.unlink(tmp);
    await fsp.symlink(target, tmp);
  }
  await fsp.rename(tmp, file);
}

/** `replaceClaim`, synchronously. */
function replaceClaimSync(file: string, tmpTag: string, claim: Claim): void {
  const tmp = `${file}.${tmpTag}.tmp`;
  const target = JSON.stringify(claim);
  try {
    symlinkSync(target, tmp);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    unlinkSync(tmp);
    symlinkSync(target, tmp);
  }
  renameSync(tmp, file);
}

/**
 * Namespaces kept ready (made, addressed, on the bridge) for the next pods: making one takes two
 * `ip` processes, ≈ 10–20 ms on the 2-core CI machine, which every pod's start waited for. A pod
 * takes one in the time of a file rename; the server makes the next in the background.
 */
export const SPARE_NAMESPACES = 2;
/**
 * Namespaces of ended pods kept as spares, at most (see `release`): removing one and making the
 * next cost two `ip` processes and the kernel's teardown, ≈ 15 ms of a 2-core machine per pod. In
 * a wide fan-out, pods start while those that ended are still being cleaned up, so more
 * namespaces are in use than pods run at once: at parallelism 16 about 45. With room for them all,
 * the pool grows to what the load needs and stops there; with 16, one pod in ten made a namespace
 * and another removed one (1,000 tasks: 89–107 made, 76–83 removed; 2.34x → 2.17x the floor).
 * An idle namespace costs a veth pair and an address of the pod range.
 */
export const KEPT_NAMESPACES = 64;
/**
 * How long the pool stays above SPARE_NAMESPACES after the last namespace was taken or given
 * back. Each kept namespace is a mount (`/run/netns/…`) that every mount namespace made on this
 * machine copies and tears down again, each sandbox start's, Drover's or anyone's (64 of them made
 * 1,000 sandboxed starts ≈ 20% slower): an idle server gives back what a burst left.
 */
export const SPARE_TRIM_IDLE_MS = 5_000;
export const SPARE_PREFIX = 'spare-';

export class NetworkSetupError extends Error {
  readonly code = 'NetworkSetupFailed';
}

export function netnsName(uid: string): string {
  return `drover-${uid}`;
}

/**
 * A pod's `eth0` address, made from its IP (`0a:58:` and the four bytes, locally administered, as
 * Kubernetes' bridge plugin does): an address moves from one namespace to another (a pod ends,
 * the next takes its address), and a neighbour entry anywhere on the bridge (the host's, another
 * pod's) still names the right link; with a random one it would point at a gone link for seconds.
 */
export function macFor(ip: string): string {
  return `0a:58:${ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0')).join(':')}`;
}

/** The host end of a pod's veth pair: at most 15 characters (IFNAMSIZ). */
export function vethName(uid: string): string {
  return `dv${uid.replace(/-/g, '').slice(0, 13)}`;
}

export interface BridgeOptions {
  ip: string;
  /**
   * Runs `ip` (the runtime's process helper: forking the server for each costs milliseconds of
   * its event loop, and a pod's network takes several); absent: the server runs it itself.
   */
  run?: (file: string, args: string[], input?: string) => Promise<{ code: number; stdout: string; stderr: string; message?: string }>;
  bridge: string;
  podCidr: string;
  home: string;
  claimsRoot?: string;
  /** SPARE_TRIM_IDLE_MS, for tests. */
  trimIdleMs?: number;
}

/** What a pod was given. */
export interface PodAddress {
  ip: string;
  /** Its network namespace, for `nsenter --net=`. */
  netns: string;
}

export class BridgeNetwork {
  readonly cidr: Cidr;
  readonly gateway: string;
  private readonly claimsDir: string;
  /** pod uid → address, for this home's pods. */
  private readonly mine = new Map<string, string>();
  /** Setups under way, by pod uid. */
  private readonly pending = new Map<string, Promise<PodAddress>>();
  /** pod uid → the id its namespace and veth are named after, where not its uid (a spare it took). */
  private readonly nsIds = new Map<string, string>();
  /** Namespaces ready for the next pods. */
  private readonly spares: { id: string; ip: string }[] = [];
  /** Ended pods' namespaces on their way into `spares` (their claims being rewritten). */
  private keeping = 0;
  /** The pool's trim back to SPARE_NAMESPACES once it has been idle (`armTrim`), and a trim under way. */
  private trimTimer: NodeJS.Timeout | undefined;
  private trimming: Promise<void> | undefined;
  /** Pods that ended and whose namespace is on its way back (`ending`), and setups waiting for one. */
  private readonly ended = new Set<string>();
  private readonly spareWaiters = new Set<() => void>();
  private filling: Promise<void> | undefined;
  private sparesStopped = false;
  /** Pods whose namespace this server made, or tried to (forgotten at their release). */
  private readonly setUpBefore = new Set<string>();
  serverAddress = '';

  private readonly lockDir: string;

  constructor(private readonly o: BridgeOptions) {
    this.cidr = parseCidr(o.podCidr);
    this.gateway = gatewayOf(this.cidr);
    this.claimsDir = join(o.claimsRoot ?? CLAIMS_ROOT, o.bridge);
    this.lockDir = join(o.claimsRoot ?? CLAIMS_ROOT, `${o.bridge}.lock`);
  }

  private async ip(args: string[], input?: string): Promise<string> {
    if (this.o.run) {
      const r = await this.o.run(this.o.ip, args, input);
      if (r.code === 0) return r.stdout;
      throw new NetworkSetupError(`ip ${args.join(' ')}: ${r.stderr.trim() || r.message || `exit code ${r.code}`}`);
    }
    try {
      if (input === undefined) return (await run(this.o.ip, args)).stdout;
      return await new Promise<string>((resolve, reject) => {
        const child = execFile(this.o.ip, args, (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve(stdout)));
        child.stdin?.end(input);
      });
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? '').trim();
      throw new NetworkSetupError(`ip ${args.join(' ')}: ${stderr || (err as Error).message}`);
    }
  }

  /** Makes the bridge (or checks the one there), claims this server's address and puts it on the bridge. */
  async start(): Promise<void> {
    await fsp.mkdir(this.claimsDir, { recursive: true });
    await withLock(this.lockDir, () => this.startLocked());
  }

  private async startLocked(): Promise<void> {
    const br = this.o.bridge;
    const links = await this.ip(['-o', 'link', 'show', 'dev', br]).catch(() => '');
    if (!links) await this.ip(['link', 'add', br, 'type', 'bridge']).catch(async (err: unknown) => {
      // Another server made it meanwhile.
      if (!(await this.ip(['-o', 'link', 'show', 'dev', br]).catch(() => ''))) throw err;
    });
    const claims = await this.readClaims();
    // Claims of a home that is gone (a server whose home was removed with pods still running, a
    // test's temporary home): nobody can adopt them, so they are freed here.
    for (const [ip, c] of claims) {
      if (!c.home || existsSync(c.home)) continue;
      if (c.owner === 'server') await this.address(ip, false).catch(() => undefined);
      else await this.removeNamespace(c.netns ?? c.owner);
      await fsp.rm(join(this.claimsDir, ip), { force: true });
      claims.delete(ip);
    }
    for (const ip of await fsp.readdir(this.serviceClaimsDir).catch(() => [] as string[])) {
      const c = await this.serviceClaim(ip);
      if (c?.home && existsSync(c.home)) continue;
      await this.ip(['addr', 'del', `${ip}/32`, 'dev', br]).catch(() => undefined);
      await fsp.rm(join(this.serviceClaimsDir, ip), { force: true });
    }
    const addrs = await this.ip(['-o', '-4', 'addr', 'show', 'dev', br]);
    const gw = `${this.gateway}/${this.cidr.prefix}`;
    if (!addrs.includes(` ${gw} `)) await this.ip(['addr', 'add', gw, 'dev', br]).catch((err: unknown) => {
      if (!/exists|already assigned/i.test((err as Error).message)) throw err;
    });
    await this.ip(['link', 'set', br, 'up']);
    for (const [ip, c] of claims) {
      if (c.home !== this.o.home || c.owner === 'server') continue;
      if (c.owner.startsWith(SPARE_PREFIX)) {
        // Left by this home's last run: no pod has it now (a kept one is named in `netns`).
        await this.removeNamespace(c.netns ?? c.owner);
        await fsp.rm(join(this.claimsDir, ip), { force: true });
        continue;
      }
      this.mine.set(c.owner, ip);
      if (c.netns) this.nsIds.set(c.owner, c.netns);
    }
    const own = [...claims].find(([, c]) => c.home === this.o.home && c.owner === 'server');
    this.serverAddress = own ? own[0] : await this.claim('server');
    // Added even if the listing above had it: the server that held it before may have taken it
    // off the bridge since (its address goes before its claim).
    await this.ip(['addr', 'add', `${this.serverAddress}/32`, 'dev', br]).catch((err: unknown) => {
      if (!/exists|already assigned/i.test((err as Error).message)) throw err;
    });
  }

  private async readClaims(): Promise<Map<string, Claim>> {
    const out = new Map<string, Claim>();
    for (const name of await fsp.readdir(this.claimsDir).catch(() => [] as string[])) {
      if (!cidrContains(this.cidr, name)) continue;
      const file = join(this.claimsDir, name);
      const claim = readClaimSync(file);
      if (!claim && (await leftEmpty(file))) {
        await fsp.rm(file, { force: true });
        continue;
      }
      // Unreadable (a claim file an older server is writing): that address is taken anyway.
      out.set(name, claim ?? { owner: '', home: '' });
    }
    return out;
  }

  /** Takes the lowest free address for `owner`, machine-wide. */
  private async claim(owner: string): Promise<string> {
    const used = new Set((await fsp.readdir(this.claimsDir).catch(() => [] as string[])));
    let from = 2;
    for (;;) {
      const ip = firstFree(this.cidr, used, from);
      if (!ip) throw new NetworkSetupError(`no address left in ${this.o.podCidr} for another pod (network.podCIDR)`);
      try {
        await makeClaim(join(this.claimsDir, ip), { owner, home: this.o.home });
        return ip;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        used.add(ip); // Another server took it first.
        from = 2;
      }
    }
  }

  /** The pods of this home that hold an address (found at start). */
  podsWithAddress(): string[] {
    return [...this.mine.keys()];
  }

  addressOf(uid: string): string | undefined {
    return this.mine.get(uid);
  }

  /**
   * The pod's namespace and address: made now, or found again (a restart, or a retry of a
   * preparation that failed later on).
   */
  async setup(uid: string): Promise<PodAddress> {
    const running = this.pending.get(uid);
    if (running) return running;
    const p = this.doSetup(uid).finally(() => this.pending.delete(uid));
    this.pending.set(uid, p);
    return p;
  }

  private async doSetup(uid: string): Promise<PodAddress> {
    let ip = this.mine.get(uid);
    const id = this.nsIds.get(uid) ?? uid;
    const path = join(NETNS_DIR, netnsName(id));
    if (ip && existsSync(path)) return { ip, netns: path };
    // Claimed just now, on this pod's first setup here: nothing of an earlier one can be left (its
    // claim would have come first, and a restart finds it).
    let fresh = false;
    if (!ip) {
      const spare = (await this.takeSpare(uid)) ?? (await this.returnedSpare(uid));
      if (spare) return spare;
      ip = await this.claim(uid);
      this.mine.set(uid, ip);
      fresh = !this.setUpBefore.has(uid);
    }
    this.setUpBefore.add(uid);
    try {
      await this.makeNamespace(id, ip, fresh);
    } catch (err) {
      await fsp.rm(join(this.claimsDir, ip), { force: true });
      this.mine.delete(uid);
      this.nsIds.delete(uid);
      throw err;
    }
    void this.fillSpares();
    return { ip, netns: path };
  }

  /** The namespace `drover-<id>` with `eth0` at `ip` and a veth on the bridge; on failure nothing is left of it. */
  private async makeNamespace(id: string, ip: string, fresh = false): Promise<void> {
    const ns = netnsName(id);
    const veth = vethName(id);
    try {
      // Left by a setup that failed half way (looked for first: each `ip` is a process, ~5 ms). Not
      // looked for when nothing can be left (a look into sysfs costs ~0.5 ms of the event loop).
      if (!fresh && existsSync(join(NETNS_DIR, ns))) await this.ip(['netns', 'del', ns]).catch(() => undefined);
      if (!fresh && existsSync(`/sys/class/net/${veth}`)) await this.ip(['link', 'del', veth]).catch(() => undefined);
      await this.ip(['-b', '-'], [`netns add ${ns}`, `link add ${veth} type veth peer name eth0 address ${macFor(ip)} netns ${ns}`, `link set ${veth} master ${this.o.bridge} up`, ''].join('\n'));
      await this.ip(['-n', ns, '-b', '-'], [`addr add ${ip}/${this.cidr.prefix} dev eth0`, 'link set lo up', 'link set eth0 up', `route add default via ${this.gateway}`, ''].join('\n'));
    } catch (err) {
      await this.removeNamespace(id);
      throw err;
    }
  }

  private async removeNamespace(id: string): Promise<void> {
    // One `ip` process for both (each costs a fork and exec on every pod's end); -force goes on
    // past the first failure. The veth goes with the namespace, unless a process still holds it.
    await this.ip(['-force', '-b', '-'], `netns del ${netnsName(id)}\nlink del ${vethName(id)}\n`).catch(() => undefined);
  }

  /**
   * Gives pod `uid` a spare namespace, if one is ready: its claim is rewritten (renamed into place,
   * so a crash leaves either the spare's claim, freed at the next start, or the pod's) to name the
   * pod and the namespace it now has.
   */
  private async takeSpare(uid: string): Promise<PodAddress | undefined> {
    const spare = this.spares.shift();
    if (!spare) return undefined;
    const file = join(this.claimsDir, spare.ip);
    try {
      replaceClaimSync(file, spare.id, { owner: uid, home: this.o.home, netns: spare.id });
    } catch {
      await this.dropSpare(spare);
      return undefined;
    }
    this.mine.set(uid, spare.ip);
    this.nsIds.set(uid, spare.id);
    void this.fillSpares();
    this.armTrim();
    return { ip: spare.ip, netns: join(NETNS_DIR, netnsName(spare.id)) };
  }

  /** (Re)starts the idle wait after which the spares beyond SPARE_NAMESPACES go. */
  private armTrim(): void {
    if (this.trimTimer) clearTimeout(this.trimTimer);
    this.trimTimer = setTimeout(() => {
      this.trimTimer = undefined;
      if (this.sparesStopped || this.trimming) return;
      const extra = this.spares.splice(SPARE_NAMESPACES);
      if (extra.length === 0) return;
      this.trimming = (async () => {
        for (const spare of extra) await this.dropSpare(spare).catch(() => undefined);
      })().finally(() => {
        this.trimming = undefined;
      });
    }, this.o.trimIdleMs ?? SPARE_TRIM_IDLE_MS);
    // A server that is stopping does not wait for it (stopSpares drops what is left).
    this.trimTimer.unref();
  }

  private async dropSpare(spare: { id: string; ip: string }): Promise<void> {
    await this.removeNamespace(spare.id);
    await fsp.rm(join(this.claimsDir, spare.ip), { force: true });
  }

  /** Makes spare namespaces, one at a time in the background, until SPARE_NAMESPACES are ready; resolves when it is done. */
  fillSpares(): Promise<void> {
    if (this.filling) return this.filling;
    if (this.sparesStopped || this.spares.length >= SPARE_NAMESPACES) return Promise.resolve();
    this.filling = (async () => {
      while (!this.sparesStopped && this.spares.length < SPARE_NAMESPACES) {
        const id = `${SPARE_PREFIX}${randomBytes(6).toString('hex')}`;
        let ip: string;
        try {
          ip = await this.claim(id);
        } catch {
          return; // The range is full: pods claim their own, and say so.
        }
        try {
          await this.makeNamespace(id, ip, true);
        } catch {
          await fsp.rm(join(this.claimsDir, ip), { force: true });
          return; // Pods make their own, and say why when that fails too.
        }
        this.spares.push({ id, ip });
      }
    })().finally(() => {
      this.filling = undefined;
    });
    return this.filling;
  }

  /** No more spares: those ready go (the server stops; a later start makes new ones). */
  async stopSpares(): Promise<void> {
    this.sparesStopped = true;
    if (this.trimTimer) clearTimeout(this.trimTimer);
    this.ended.clear();
    this.wakeWaiters();
    await this.filling;
    await this.trimming;
    for (const spare of this.spares.splice(0)) await this.dropSpare(spare);
  }

  /** The pod's namespace path, when it has an address. */
  netnsOf(uid: string): string | undefined {
    return this.mine.has(uid) ? join(NETNS_DIR, netnsName(this.nsIds.get(uid) ?? uid)) : undefined;
  }

  /**
   * Removes the pod's namespace, veth pair and claim; nothing is left when it returns. With
   * `reuse` (the caller knows every process of the pod is gone, and none could change the
   * namespace: no NET_ADMIN or SYS_ADMIN), the namespace becomes a spare, address and all, while
   * fewer than KEPT_NAMESPACES are ready. Nothing of the pod is left in it:
   * its sockets went with its processes, and without those capabilities it could change no
   * address, route or rule. What may linger is a TCP port in TIME_WAIT (up to a minute), which
   * stops a later pod's bind to that port only if it does not set SO_REUSEADDR (most servers do).
   * Addresses are reused at once either way: a fresh claim takes the lowest free one.
   */
  async release(uid: string, reuse = false): Promise<void> {
    // A setup under way (a pod deleted while it started) finishes first, then everything goes.
    await this.pending.get(uid)?.catch(() => undefined);
    const ip = this.mine.get(uid);
    const id = this.nsIds.get(uid) ?? uid;
    this.mine.delete(uid);
    this.nsIds.delete(uid);
    this.setUpBefore.delete(uid);
    this.ended.delete(uid);
    // Released before (a pod deleted after it ended): what it had may be another pod's by now.
    if (ip === undefined) return this.wakeWaiters();
    const kept = reuse && (await this.keep(id, ip));
    this.wakeWaiters();
    if (kept) return;
    await this.removeNamespace(id);
    await fsp.rm(join(this.claimsDir, ip), { force: true });
  }

  /**
   * The pod ended: its namespace may come back as a spare shortly (its processes are being
   * killed and its cgroups removed first). Until then a pod that finds no spare waits a little
   * for it rather than making one: in a wide fan-out the next pod starts before the last one's
   * cleanup is done, and every namespace made and removed costs the machine ≈ 15 ms.
   */
  ending(uid: string): void {
    if (this.mine.has(uid) && !this.sparesStopped) this.ended.add(uid);
  }

  /** How long a setup waits for an ended pod's namespace before making its own. */
  private static readonly RETURN_WAIT_MS = 200;

  private async returnedSpare(uid: string): Promise<PodAddress | undefined> {
    if (this.ended.size === 0) return undefined;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.spareWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, BridgeNetwork.RETURN_WAIT_MS);
      this.spareWaiters.add(done);
    });
    return this.takeSpare(uid);
  }

  /** Wakes a setup waiting for a spare (one came back), or all of them (none will: no pod is ending). */
  private wakeWaiters(): void {
    if (this.ended.size === 0) for (const w of [...this.spareWaiters]) w();
    else [...this.spareWaiters][0]?.();
  }

  /** Makes namespace `id` at `ip` a spare, if there is room; true when it did. */
  private async keep(id: string, ip: string): Promise<boolean> {
    // Its neighbour table is kept: every address has the same link address wherever it is
    // (macFor), so what it maps stays right when an address moves to another namespace.
    if (this.sparesStopped || this.spares.length + this.keeping >= KEPT_NAMESPACES || !existsSync(join(NETNS_DIR, netnsName(id)))) return false;
    const file = join(this.claimsDir, ip);
    this.keeping++;
    try {
      // As takeSpare, the other way: a crash leaves the pod's claim (freed when the restarted
      // runtime finds the pod gone) or the spare's (freed at the next start).
      const owner = id.startsWith(SPARE_PREFIX) ? id : `${SPARE_PREFIX}${randomBytes(6).toString('hex')}`;
      await replaceClaim(file, id, { owner, home: this.o.home, ...(owner === id ? {} : { netns: id }) });
    } catch {
      return false;
    } finally {
      this.keeping--;
    }
    // The spares were stopped meanwhile: the caller removes it, claim and all.
    if (this.sparesStopped) return false;
    this.spares.push({ id, ip });
    this.armTrim();
    return true;
  }

  /** Adds or removes an address of the bridge (a Service's ClusterIP, /32); removing one releases this home's claim on it. */
  async address(ip: string, present: boolean): Promise<void> {
    if (!present) {
      const claim = await this.serviceClaim(ip);
      // Another server's Service holds it now: its address stays.
      if (claim && claim.home !== this.o.home) return;
    }
    await this.ip(['addr', present ? 'add' : 'del', `${ip}/32`, 'dev', this.o.bridge]).catch((err: unknown) => {
      if (!/exists|already assigned|cannot assign|not found/i.test((err as Error).message)) throw err;
    });
    if (!present) await fsp.rm(join(this.serviceClaimsDir, ip), { force: true });
  }

  private get serviceClaimsDir(): string {
    return join(this.claimsDir, 'svc');
  }

  private async serviceClaim(ip: string): Promise<Claim | undefined> {
    return readClaimSync(join(this.serviceClaimsDir, ip));
  }

  /**
   * Claims a ClusterIP machine-wide for a Service of this home (`owner`: its uid): every server on
   * the machine shares the bridge, so two must not serve the same address. False when a live
   * server's Service holds it; a claim of this home (a restart) or of a home that is gone is taken.
   */
  async claimService(ip: string, owner: string): Promise<boolean> {
    await fsp.mkdir(this.serviceClaimsDir, { recursive: true });
    const file = join(this.serviceClaimsDir, ip);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await makeClaim(file, { owner, home: this.o.home });
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const held = await this.serviceClaim(ip);
      if (held?.home === this.o.home) return held.owner === owner || !held.owner;
      if (held?.home && existsSync(held.home)) return false;
      await fsp.rm(file, { force: true });
    }
    return false;
  }

  /**
   * The server is going away for good (`drover down`): its address and ClusterIPs leave the
   * bridge, and the bridge itself goes when no other server or pod holds an address on it.
   */
  /** Returns whether the bridge itself went. */
  async shutdown(extra: readonly string[]): Promise<boolean> {
    for (const ip of extra) await this.address(ip, false);
    return withLock(this.lockDir, async () => {
      // Under the lock: a server starting now sees the address and its claim go together.
      if (this.serverAddress) {
        await this.address(this.serverAddress, false);
        await fsp.rm(join(this.claimsDir, this.serverAddress), { force: true });
      }
      // A `.tmp` is a spare's claim that a crash left half renamed: no address is held by it.
      const left = (await fsp.readdir(this.claimsDir).catch(() => [] as string[])).filter((f) => f !== 'svc' && !f.endsWith('.tmp'));
      const services = await fsp.readdir(this.serviceClaimsDir).catch(() => [] as string[]);
      if (left.length || services.length) return false;
      await this.ip(['link', 'del', this.o.bridge]).catch(() => undefined);
      return true;
    });
  }
}

/**
 * Runs `fn` holding the lock `dir` (made with mkdir, which is atomic; the holder's pid inside).
 * A lock whose holder died (kill -9 mid-start) is taken over.
 */
export async function withLock<T>(dir: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fsp.mkdir(dir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number((await fsp.readFile(join(dir, 'pid'), 'utf8').catch(() => '')).trim());
    const since = (await fsp.stat(dir).catch(() => undefined))?.mtimeMs ?? Date.now();
    // No pid yet: a holder between its mkdir and its write, or one killed right there.
    if (pid ? !alive(pid) : Date.now() - since > 5_000) {
      await fsp.rm(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new NetworkSetupError(`${dir} has been held for ${timeoutMs / 1000} s by process ${pid || '(unknown)'}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await fsp.writeFile(join(dir, 'pid'), String(process.pid));
  try {
    return await fn();
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether this process may make bridges and namespaces: CAP_NET_ADMIN (bit 12) in its effective set. */
export async function hasNetAdmin(): Promise<boolean> {
  const status = await fsp.readFile('/proc/self/status', 'utf8').catch(() => '');
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return m ? (BigInt('0x' + m[1]) & (1n << 12n)) !== 0n : false;
}
