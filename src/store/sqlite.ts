/**
 * The embedded store: one SQLite file under $DROVER_HOME, WAL mode.
 *
 * Every write runs in one SQLite transaction and appends a row to `changes`; that row's id is
 * the new resourceVersion, so versions are global, increasing, and survive restarts. Watchers
 * are told after the commit, in commit order. A write that returned has been committed, so a
 * `kill -9` of the server loses nothing that was acknowledged (with `sync: 'full'` even a power
 * loss does not).
 *
 * Why one file of ~800 lines: every statement shares the transaction, the change log and the
 * watcher fan-out of one connection; integrity checks, backup and restore live in integrity.ts.
 */
import Database from 'better-sqlite3';
import { backupStore, checkStoreFile, markStoreMade } from './integrity.js';
import { createHash, randomUUID, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { AlreadyExistsError, ConflictError, NotFoundError, BadRequestError, DroverError } from '../api/errors.js';
import { kindKey, type KindTable } from '../api/kinds.js';
import type { KubeObject, ObjectRef, Event } from '../api/types.js';
import { DEFAULT_NAMESPACE } from '../api/types.js';
import { matchesSelector } from '../api/selectors.js';
import type { EventInput, KindSelector, ListOptions, ListResult, Store, WatchEvent, WatchEventType, WriteOp, ObservationLogEntry } from './types.js';
import { MIGRATIONS } from './migrations.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { isSealed, type AtRestCipher } from './encryption.js';

/** How often the background checkpoint runs (the log grows by what is written meanwhile). */
const CHECKPOINT_INTERVAL_MS = 500;
/**
 * Cascades that own more objects than this are deleted in transactions of this many, with the
 * owner marked meanwhile (about 80 ms of a busy 2-core machine per transaction).
 */
const CASCADE_SLICE = 500;
/** The finalizer that holds an owner while its dependents go (Kubernetes' foreground deletion). */
export const FOREGROUND_DELETION = 'foregroundDeletion';
/** How often the worker hands back a free list smaller than a slice (larger ones go every round, a slice at a time, so a write never waits long). */
const DEFAULT_VACUUM_INTERVAL_MS = 10_000;

export interface SqliteStoreOptions {
  /** The kinds the store keeps (src/registry.ts `KINDS`): their keys and scope. */
  kinds: KindTable;
  /** `normal` survives a crash of the process; `full` also survives power loss (an fsync per commit). */
  sync?: 'normal' | 'full';
  /** How many change-log rows to keep for watches that resume from an old resourceVersion. */
  changeLogSize?: number;
  /** Change-log rows older than this (ms) are dropped too (0: no age bound). */
  changeLogMaxAgeMs?: number;
  /** The change log's bodies together are kept under this many bytes (0: no size bound). */
  changeLogMaxBytes?: number;
  /** How often the background worker returns free pages to the file system (incremental vacuum); 0: never. */
  vacuumIntervalMs?: number;
  /** Told of what went wrong without failing a call (a VACUUM that could not run). */
  warn?: (msg: string, fields?: Record<string, unknown>) => void;
  now?: () => number;
  /**
   * Encryption at rest: objects of these kinds are stored sealed with the cipher's key (objects
   * and change log alike); rows written before are read as they are and sealed at open.
   */
  encryption?: { cipher: AtRestCipher; kinds: readonly KindSelector[] };
}

/** A watch resumed from a resourceVersion older than the change log keeps (HTTP 410 Gone). */
export class ExpiredError extends DroverError {
  readonly code = 'EXPIRED';
  readonly reason = 'Expired' as const;
  readonly httpStatus = 410;
  constructor(rv: string) {
    super(`too old resource version: ${rv}`);
    this.name = 'ExpiredError';
  }
}

/**
 * A write the store could not make because the disk or the file failed it (SQLITE_FULL, an I/O
 * error): the server goes on, the write is not made, the caller may retry once space is back.
 */
export class StoreWriteError extends DroverError {
  readonly code = 'STORE_WRITE_FAILED';
  readonly reason = 'InternalError' as const;
  readonly httpStatus = 500;
  override readonly retryable = true;
  constructor(
    readonly sqliteCode: string,
    detail: string,
    path: string,
  ) {
    super(`the store could not save the change (${sqliteCode}: ${detail}); ${sqliteCode === 'SQLITE_FULL' ? `free space on the file system holding ${path}` : `check the disk holding ${path}`}`);
    this.name = 'StoreWriteError';
  }
}

/** SQLite's codes for a write the disk refused (full, I/O error, read-only file, out of memory for a temp file). */
function diskErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return undefined;
  return code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' ? code : undefined;
}

/** What the store takes on disk: the database file, its write-ahead log, and the free pages inside the file. */
export interface StoreStats {
  fileBytes: number;
  walBytes: number;
  /** Bytes of free pages in the file that an incremental vacuum gives back. */
  freeBytes: number;
  changeLogRows: number;
  changeLogBytes: number;
}

interface Row {
  body: string;
}

interface Watcher {
  kind: string | undefined;
  opts: ListOptions;
  handler: (e: WatchEvent) => void;
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** What the store needs to know of kinds: their keys and scope, from the table it was opened with. */
class KindKeys {
  /** Kind key → the status map it keeps as rows (KindInfo.statusRows). */
  private readonly rows = new Map<string, string>();

  constructor(private readonly kinds: KindTable) {
    for (const k of kinds.all) if (k.statusRows) this.rows.set(kindKey(k), k.statusRows);
  }

  /** The status map whose entries objects of `kind` (a key) keep as rows of their own, if any. */
  rowsField(kind: string): string | undefined {
    return this.rows.size === 0 ? undefined : this.rows.get(kind);
  }

  key(apiVersion: string, kind: string): string {
    const info = this.kinds.of(apiVersion, kind);
    if (!info) throw new BadRequestError(`no kind "${kind}" is registered for version "${apiVersion}"`);
    return kindKey(info);
  }

  /** How Kubernetes names a kind in errors: `jobs.batch`, `configmaps`. */
  resourceName(apiVersion: string, kind: string): string {
    const info = this.kinds.of(apiVersion, kind);
    return info ? info.plural + (info.group ? `.${info.group}` : '') : kind;
  }

  namespaced(apiVersion: string, kind: string): boolean {
    return this.kinds.of(apiVersion, kind)?.namespaced ?? true;
  }

  namespaceOf(obj: KubeObject): string {
    return this.namespaced(obj.apiVersion, obj.kind) ? obj.metadata.namespace ?? DEFAULT_NAMESPACE : '';
  }
}

/** `obj` as JSON, its status given as JSON already (spliced in as the last field, not serialized again). */
function withStatusJson(obj: KubeObject, statusJson: string): string {
  const { status: _s, ...rest } = obj as KubeObject & { status?: unknown };
  const head = JSON.stringify(rest);
  return `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"status":${statusJson}}`;
}

/** The map at status[field] when it is one (a plain object). */
function statusMap(status: unknown, field: string): Record<string, unknown> | undefined {
  const map = status && typeof status === 'object' ? (status as Record<string, unknown>)[field] : undefined;
  return map && typeof map === 'object' && !Array.isArray(map) ? (map as Record<string, unknown>) : undefined;
}

/** A status without its `field`. */
function statusWithout(status: unknown, field: string): unknown {
  if (!status || typeof status !== 'object' || !(field in status)) return status;
  const { [field]: _dropped, ...rest } = status as Record<string, unknown>;
  return rest;
}

/**
 * Rows of a status map: an entry's array longer than ROW_CHUNK (a fan-out's group node and its
 * 10,000 children) is kept in rows of its own, ROW_CHUNK elements each (`<key>/<prop>/<i>`), and
 * the entry's row names how many (CHUNKS_MARK). An entry that grows by a few children then
 * rewrites its small row and the last chunk, not all of its children on every pass.
 */
const ROW_CHUNK = 1000;
const CHUNKS_MARK = '$chunks';

interface EntryRows {
  /** The entry's own row: the entry with its long arrays left out, and CHUNKS_MARK naming them. */
  main: unknown;
  /** prop → its chunks, in order. */
  chunks: Map<string, unknown[][]>;
}

function entryRows(value: unknown): EntryRows {
  const chunks = new Map<string, unknown[][]>();
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { main: value, chunks };
  const rec = value as Record<string, unknown>;
  let main: Record<string, unknown> | undefined;
  for (const [prop, v] of Object.entries(rec)) {
    if (!Array.isArray(v) || v.length <= ROW_CHUNK) continue;
    const parts: unknown[][] = [];
    for (let i = 0; i < v.length; i += ROW_CHUNK) parts.push(v.slice(i, i + ROW_CHUNK));
    chunks.set(prop, parts);
    main ??= { ...rec };
    delete main[prop];
  }
  if (!main) return { main: value, chunks };
  main[CHUNKS_MARK] = Object.fromEntries([...chunks].map(([prop, parts]) => [prop, parts.length]));
  return { main, chunks };
}

const chunkKey = (key: string, prop: string, i: number) => `${key}/${prop}/${i}`;

/** Whether two chunks hold the same elements (ids and other scalars compare by value). */
function sameChunk(a: unknown[] | undefined, b: unknown[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** `obj` without status[field], sharing everything else (its metadata object included). */
function withoutStatusField<T extends KubeObject>(obj: T, field: string): T {
  const status = (obj as { status?: unknown }).status;
  const rest = statusWithout(status, field);
  return rest === status ? obj : { ...obj, status: rest };
}

/** Fields that are neither identity, metadata nor status: a change to them bumps `generation`. */
function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return JSON.stringify(rest);
}

export class SqliteStore implements Store {
  private readonly keys: KindKeys;
  private readonly db: Database.Database;
  private readonly watchers = new Set<Watcher>();
  private pending: WatchEvent[] = [];
  private readonly now: () => number;
  private readonly changeLogSize: number;
  private readonly changeLogMaxAgeMs: number;
  private readonly changeLogMaxBytes: number;
  private writesSincePrune = 0;
  /** Bytes of the change log's bodies (kept current in memory so the size bound costs no query per write). */
  private changeLogBytes = 0;
  private readonly path: string;
  private readonly warn: (msg: string, fields?: Record<string, unknown>) => void;
  private readonly statements = new Map<string, Database.Statement>();
  private checkpointer: Checkpointer | undefined;
  /** The status JSON of the last writeStatus, by the resourceVersion it got. */
  private lastStatusJson: { rv: string; json: string } | undefined;
  /** Last resourceVersion handed out; this process is the only writer of the file. */
  private rv = 0;
  private readonly cipher: AtRestCipher | undefined;
  /** Kind keys whose objects are stored sealed. */
  private readonly sealedKinds: ReadonlySet<string>;
  /** Cascades under way in slices, by the owner's uid (a second delete of the owner joins its own). */
  private readonly cascades = new Map<string, Promise<KubeObject[]>>();
  private closing = false;

  constructor(path: string, opts: SqliteStoreOptions) {
    this.keys = new KindKeys(opts.kinds);
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true });
      // The database and its WAL (which SQLite creates with the database's mode) are the owner's alone.
      for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
      // A damaged or emptied store is refused here, saying how to recover, before anything trusts it.
      checkStoreFile(path);
      if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    }
    this.path = path;
    this.warn = opts.warn ?? (() => {});
    this.db = new Database(path);
    this.useIncrementalVacuum();
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    // When the log starts over after a checkpoint, a file grown past this is cut back to it.
    this.db.pragma(`journal_size_limit = ${64 * 2 ** 20}`);
    if (path !== ':memory:') {
      this.db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = startCheckpointer(path, CHECKPOINT_INTERVAL_MS, opts.vacuumIntervalMs ?? DEFAULT_VACUUM_INTERVAL_MS, () => {
        this.checkpointer = undefined;
        if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
      });
    }
    this.now = opts.now ?? Date.now;
    this.changeLogSize = opts.changeLogSize ?? 20000;
    this.changeLogMaxAgeMs = opts.changeLogMaxAgeMs ?? 0;
    this.changeLogMaxBytes = opts.changeLogMaxBytes ?? 0;
    this.cipher = opts.encryption?.cipher;
    this.sealedKinds = new Set((opts.encryption?.kinds ?? []).map((k) => this.keys.key(k.apiVersion, k.kind)));
    // Deleted rows are overwritten, not left in free pages: a Secret's old plain row included.
    if (this.cipher) this.db.pragma('secure_delete = ON');
    this.migrate();
    markStoreMade(path);
    this.sealPlainRows();
    this.rv = this.currentRv();
    this.changeLogBytes = (this.sql('SELECT COALESCE(SUM(bytes), 0) AS n FROM changes').get() as { n: number }).n;
    this.tx(() => {
      if (!this.getSync({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name: DEFAULT_NAMESPACE })) {
        this.createSync({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEFAULT_NAMESPACE }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
      }
    });
    this.resumeCascades();
  }

  /** The JSON of a stored body: sealed ones opened with the store's key. */
  private parse<T>(body: string): T {
    if (isSealed(body)) {
      if (!this.cipher) throw new BadRequestError('the store holds encrypted objects but was opened without an encryption key');
      return JSON.parse(this.cipher.open(body)) as T;
    }
    return JSON.parse(body) as T;
  }

  /** How an object of `kind` is stored: sealed for the encrypted kinds. */
  private stored(kind: string, json: string): string {
    return this.cipher && this.sealedKinds.has(kind) ? this.cipher.seal(json) : json;
  }

  /**
   * Seals rows of the encrypted kinds written before encryption was on, and checks that a sealed
   * row opens with this key: a wrong or new key is an error at start, not at the first read.
   */
  private sealPlainRows(): void {
    if (!this.cipher) return;
    const probe = this.db.prepare("SELECT body FROM objects WHERE body LIKE 'k8s:enc:%' LIMIT 1").get() as Row | undefined;
    if (probe) this.cipher.open(probe.body);
    for (const kind of this.sealedKinds) {
      this.db.transaction(() => {
        for (const table of ['objects', 'changes', 'object_parts'] as const) {
          const key = table === 'objects' ? 'uid' : table === 'changes' ? 'rv' : 'rowid';
          const select =
            table === 'object_parts'
              ? `SELECT p.rowid AS k, p.body FROM object_parts p JOIN objects o ON o.uid = p.uid WHERE o.kind = ? AND p.body NOT LIKE 'k8s:enc:%'`
              : `SELECT ${key} AS k, body FROM ${table} WHERE kind = ? AND body NOT LIKE 'k8s:enc:%'`;
          const rows = this.db.prepare(select).all(kind) as { k: string | number; body: string }[];
          const update = this.db.prepare(`UPDATE ${table} SET body = ? WHERE ${key} = ?`);
          for (const r of rows) update.run(this.cipher!.seal(r.body), r.k);
        }
      })();
    }
  }

  /**
   * Deleted rows leave free pages that SQLite keeps in the file unless auto_vacuum is on; with
   * INCREMENTAL the background worker hands them back a slice at a time. A file made before
   * needs one VACUUM to switch (a copy of the whole file: it may take a while once, and needs as
   * much free space again; without it the store works as before).
   */
  private useIncrementalVacuum(): void {
    if (this.db.pragma('auto_vacuum', { simple: true }) === 2) return;
    this.db.pragma('auto_vacuum = INCREMENTAL');
    const hasTables = (this.db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n > 0;
    if (!hasTables) return;
    try {
      this.db.exec('VACUUM');
    } catch (err) {
      this.warn('could not switch the store to incremental vacuum (it keeps working, but its file does not shrink)', { path: this.path, error: String(err) });
    }
  }

  /** Prepared statements are compiled once: preparing costs more than running them. */
  private sql(text: string): Database.Statement {
    let st = this.statements.get(text);
    if (!st) this.statements.set(text, (st = this.db.prepare(text)));
    return st;
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let i = version; i < MIGRATIONS.length; i++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[i]!);
        this.db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  /** Runs `fn` in a transaction (nested calls join the outer one) and then tells watchers. */
  private tx<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    let result: T;
    const rvBefore = this.rv;
    const bytesBefore = this.changeLogBytes;
    try {
      result = this.db.transaction(fn).immediate();
    } catch (err) {
      this.pending = [];
      this.rv = rvBefore;
      this.changeLogBytes = bytesBefore;
      const code = diskErrorCode(err);
      if (code) throw new StoreWriteError(code, (err as Error).message, this.path);
      throw err;
    }
    const events = this.pending;
    this.pending = [];
    for (const e of events) this.notify(e);
    // Pruned in batches; a log shorter than a batch is pruned as often as it fills. A failed
    // prune (a full disk) leaves the log longer for a while; the write itself has committed.
    if (++this.writesSincePrune >= Math.min(1000, this.changeLogSize) || (this.changeLogMaxBytes > 0 && this.changeLogBytes > this.changeLogMaxBytes)) {
      try {
        this.pruneChanges();
      } catch (err) {
        this.warn('could not prune the change log', { error: String(err) });
      }
    }
    return result;
  }

  private notify(e: WatchEvent): void {
    for (const w of this.watchers) {
      if (this.watcherWants(w, e.object)) {
        try {
          w.handler(e);
        } catch {
          // A watcher's failure is its own; the write has committed and other watchers still hear of it.
        }
      }
    }
  }

  private watcherWants(w: Watcher, obj: KubeObject): boolean {
    if (w.kind && this.keys.key(obj.apiVersion, obj.kind) !== w.kind) return false;
    return this.matches(obj, w.opts);
  }

  private matches(obj: KubeObject, opts: ListOptions): boolean {
    if (opts.namespace !== undefined && (obj.metadata.namespace ?? '') !== opts.namespace) return false;
    if (opts.labelSelector && !matchesSelector(opts.labelSelector, obj.metadata.labels)) return false;
    if (opts.ownerUid && !(obj.metadata.ownerReferences ?? []).some((o) => o.uid === opts.ownerUid)) return false;
    return true;
  }

  /** Gives `obj` the next resourceVersion and appends it to the change log; returns its stored body. */
  private logChange(type: WatchEventType, kind: string, obj: KubeObject, statusJson?: string): string {
    obj.metadata.resourceVersion = String(++this.rv);
    const body = this.stored(kind, statusJson === undefined ? JSON.stringify(obj) : withStatusJson(obj, statusJson));
    this.sql('INSERT INTO changes (rv, type, kind, namespace, body, time_ms, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)').run(this.rv, type, kind, obj.metadata.namespace ?? '', body, this.now(), body.length);
    this.changeLogBytes += body.length;
    return body;
  }

  /**
   * Keeps the change log a suffix of history within its bounds: the last `changeLogSize` rows,
   * none older than `changeLogMaxAgeMs`, bodies under `changeLogMaxBytes` together. The newest
   * row always stays, so a watch from before it is known to be too old (410 Gone).
   */
  private pruneChanges(): void {
    this.writesSincePrune = 0;
    const newest = (this.sql('SELECT MAX(rv) AS rv FROM changes').get() as { rv: number | null }).rv;
    if (newest === null) return;
    // Everything at or below `cut` goes.
    let cut = newest - this.changeLogSize;
    if (this.changeLogMaxAgeMs > 0) {
      // Rows are in time order as in rv order; walk from the oldest to the first young enough.
      const young = this.sql('SELECT rv FROM changes WHERE time_ms >= ? ORDER BY rv LIMIT 1').get(this.now() - this.changeLogMaxAgeMs) as { rv: number } | undefined;
      cut = Math.max(cut, (young?.rv ?? newest) - 1);
    }
    if (this.changeLogMaxBytes > 0 && this.changeLogBytes > this.changeLogMaxBytes) {
      // Drop from the oldest until what is left fits (a tenth below the bound, so this runs seldom).
      let excess = this.changeLogBytes - this.changeLogMaxBytes * 0.9;
      for (const r of this.sql('SELECT rv, bytes FROM changes WHERE rv > ? ORDER BY rv').iterate(cut) as IterableIterator<{ rv: number; bytes: number }>) {
        if (excess <= 0 || r.rv >= newest) break;
        excess -= r.bytes;
        cut = r.rv;
      }
    }
    cut = Math.min(cut, newest - 1);
    const gone = this.sql('SELECT COALESCE(SUM(bytes), 0) AS n FROM changes WHERE rv <= ?').get(cut) as { n: number };
    this.db.transaction(() => this.sql('DELETE FROM changes WHERE rv <= ?').run(cut))();
    this.changeLogBytes -= gone.n;
  }

  /**
   * Periodic upkeep off the request path (the server calls it every few seconds): the change
   * log's age bound holds even when nothing is written.
   */
  maintain(): void {
    this.pruneChanges();
  }

  /** Returns up to `pages` free pages to the file system now (the worker does this by itself too). */
  reclaim(pages = 1_000_000): void {
    this.db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(pages))})`);
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** The store's size on disk, honestly: file, write-ahead log, free pages, and the change log. */
  stats(): StoreStats {
    const size = (f: string) => {
      try {
        return statSync(f).size;
      } catch {
        return 0;
      }
    };
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const rows = (this.sql('SELECT COUNT(*) AS n FROM changes').get() as { n: number }).n;
    return { fileBytes: size(this.path), walBytes: size(`${this.path}-wal`), freeBytes: free * pageSize, changeLogRows: rows, changeLogBytes: this.changeLogBytes };
  }

  private currentRv(): number {
    const row = this.sql("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  private getSync<T extends KubeObject>(ref: ObjectRef): T | undefined {
    const kind = this.keys.key(ref.apiVersion, ref.kind);
    const ns = this.keys.namespaced(ref.apiVersion, ref.kind) ? ref.namespace || DEFAULT_NAMESPACE : '';
    const row = this.sql('SELECT body FROM objects WHERE kind = ? AND namespace = ? AND name = ?').get(kind, ns, ref.name) as Row | undefined;
    return row ? this.withRows(kind, this.parse<T>(row.body)) : undefined;
  }

  /** `obj` as parsed from its body, with the status map its kind keeps as rows put back. */
  private withRows<T extends KubeObject>(kind: string, obj: T): T {
    const field = this.keys.rowsField(kind);
    if (!field || !obj.metadata?.uid) return obj;
    const rows = this.sql('SELECT key, body FROM object_parts WHERE uid = ? ORDER BY rowid').all(obj.metadata.uid) as { key: string; body: string }[];
    if (rows.length === 0) return obj;
    const map: Record<string, unknown> = {};
    for (const r of rows) map[r.key] = this.parse(r.body);
    // Chunk rows are taken out by the entries that name them: a key of the map's own that merely
    // looks like one (a `/` in a status a client wrote) stays an entry.
    for (const [key, entry] of Object.entries(map)) {
      const marks = entry && typeof entry === 'object' ? ((entry as Record<string, unknown>)[CHUNKS_MARK] as Record<string, number> | undefined) : undefined;
      if (!marks || typeof marks !== 'object') continue;
      const whole = { ...(entry as Record<string, unknown>) };
      delete whole[CHUNKS_MARK];
      for (const [prop, n] of Object.entries(marks)) {
        const parts: unknown[] = [];
        for (let i = 0; i < n; i++) {
          const k = chunkKey(key, prop, i);
          if (Array.isArray(map[k])) parts.push(...(map[k] as unknown[]));
          delete map[k];
        }
        whole[prop] = parts;
      }
      map[key] = whole;
    }
    const status = (obj as { status?: Record<string, unknown> }).status;
    (obj as { status?: Record<string, unknown> }).status = { ...(status && typeof status === 'object' ? status : {}), [field]: map };
    return obj;
  }

  /**
   * Writes `obj` (already carrying its new rv) and records the change. For a kind that keeps a
   * status map as rows, the body and the change log hold the object without it, and only the
   * entries that differ from what is stored are written: `known` is the stored version's map as
   * the caller holds it (entries it did not replace are the same objects), else the stored rows
   * are read and compared.
   */
  private write(type: 'ADDED' | 'MODIFIED', kind: string, obj: KubeObject, statusJson?: string, known?: Record<string, unknown>, touched?: readonly string[]): void {
    const field = this.keys.rowsField(kind);
    const stored = field ? withoutStatusField(obj, field) : obj;
    const body = this.logChange(type, kind, stored, field ? undefined : statusJson);
    this.sql('INSERT INTO objects (kind, namespace, name, uid, rv, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, namespace, name) DO UPDATE SET rv = excluded.rv, body = excluded.body')
      .run(kind, obj.metadata.namespace ?? '', obj.metadata.name!, obj.metadata.uid!, this.rv, body);
    if (field) this.writeRows(kind, obj.metadata.uid!, statusMap((obj as { status?: unknown }).status, field) ?? {}, type === 'ADDED' ? {} : known, type === 'ADDED' ? undefined : touched);
    this.pending.push({ type, object: obj });
  }

  /**
   * Makes the rows of `uid` hold exactly `next`'s entries, writing those that changed; with
   * `touched` (and `known`), only those keys can have changed and none was removed.
   */
  private writeRows(kind: string, uid: string, next: Record<string, unknown>, known: Record<string, unknown> | undefined, touched?: readonly string[]): void {
    const upsert = this.sql('INSERT INTO object_parts (uid, key, body) VALUES (?, ?, ?) ON CONFLICT (uid, key) DO UPDATE SET body = excluded.body');
    const remove = this.sql('DELETE FROM object_parts WHERE uid = ? AND key = ?');
    const put = (key: string, value: unknown) => upsert.run(uid, key, this.stored(kind, JSON.stringify(value)));
    /** The chunk rows `old` had beyond what `rows` keeps. */
    const dropChunks = (key: string, rows: EntryRows | undefined, old: EntryRows) => {
      for (const [prop, parts] of old.chunks) for (let i = rows?.chunks.get(prop)?.length ?? 0; i < parts.length; i++) remove.run(uid, chunkKey(key, prop, i));
    };
    if (known) {
      for (const key of touched ?? Object.keys(next)) {
        const value = next[key];
        const before = known[key];
        if (value === before || value === undefined) continue;
        const rows = entryRows(value);
        put(key, rows.main);
        const old = before === undefined ? undefined : entryRows(before);
        for (const [prop, parts] of rows.chunks) {
          // A chunk row the entry before already had, as it is, is not written again: a growing
          // list rewrites its last chunk only.
          const oldParts = old?.chunks.get(prop);
          parts.forEach((part, i) => {
            if (!sameChunk(oldParts?.[i], part)) put(chunkKey(key, prop, i), part);
          });
        }
        if (old) dropChunks(key, rows, old);
      }
      for (const key of touched ? [] : Object.keys(known)) {
        if (key in next && next[key] !== undefined) continue;
        remove.run(uid, key);
        dropChunks(key, undefined, entryRows(known[key]));
      }
      return;
    }
    const stored = this.sql('SELECT key, body FROM object_parts WHERE uid = ?').all(uid) as { key: string; body: string }[];
    const have = new Map(stored.map((r) => [r.key, r.body]));
    const sync = (key: string, value: unknown) => {
      const json = JSON.stringify(value);
      if (json === undefined) return;
      const cur = have.get(key);
      have.delete(key);
      if (cur === undefined || (isSealed(cur) ? this.cipher?.open(cur) : cur) !== json) upsert.run(uid, key, this.stored(kind, json));
    };
    for (const key of Object.keys(next)) {
      if (next[key] === undefined) continue;
      const rows = entryRows(next[key]);
      sync(key, rows.main);
      for (const [prop, parts] of rows.chunks) parts.forEach((part, i) => sync(chunkKey(key, prop, i), part));
    }
    for (const key of have.keys()) remove.run(uid, key);
  }

  private setOwners(obj: KubeObject, extraOwner?: string): void {
    const uid = obj.metadata.uid!;
    this.sql('DELETE FROM owners WHERE uid = ?').run(uid);
    const ins = this.sql('INSERT OR IGNORE INTO owners (owner_uid, uid) VALUES (?, ?)');
    for (const o of obj.metadata.ownerReferences ?? []) ins.run(o.uid, uid);
    if (extraOwner) ins.run(extraOwner, uid);
  }

  private createSync<T extends KubeObject>(input: T, internalOwner?: string): T {
    const kind = this.keys.key(input.apiVersion, input.kind);
    const obj = structuredClone(input);
    const ns = this.keys.namespaceOf(obj);
    const meta = obj.metadata ?? (obj.metadata = {});
    if (ns) {
      meta.namespace = ns;
      if (!this.getSync({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name: ns })) throw new NotFoundError('namespaces', ns);
    } else delete meta.namespace;
    if (!meta.name) {
      if (!meta.generateName) throw new BadRequestError('metadata.name or metadata.generateName is required');
      for (let attempt = 0; ; attempt++) {
        const suffix = Array.from(randomBytes(5), (b) => NAME_CHARS[b % NAME_CHARS.length]).join('');
        meta.name = meta.generateName + suffix;
        if (!this.getSync(this.refFor(obj))) break;
        if (attempt > 20) throw new ConflictError(`could not generate a unique name from "${meta.generateName}"`);
      }
    } else if (this.getSync(this.refFor(obj))) {
      throw new AlreadyExistsError(this.keys.resourceName(obj.apiVersion, obj.kind), meta.name, ns || undefined);
    }
    // A controller racing a delete must not leave an orphan behind (Kubernetes' garbage collector would remove it).
    for (const o of meta.ownerReferences ?? []) {
      if (o.controller && !this.sql('SELECT 1 FROM objects WHERE uid = ?').get(o.uid)) throw new NotFoundError(this.keys.resourceName(o.apiVersion, o.kind), o.name, ns || undefined);
    }
    // The API server may have chosen the uid already (to derive a Job's selector from it).
    meta.uid ??= randomUUID();
    meta.creationTimestamp = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    meta.generation = 1;
    delete meta.deletionTimestamp;
    this.write('ADDED', kind, obj);
    this.setOwners(obj, internalOwner);
    return obj;
  }

  private refFor(obj: KubeObject): ObjectRef {
    return { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
  }

  private mustGet<T extends KubeObject>(ref: ObjectRef): T {
    const cur = this.getSync<T>(ref);
    if (!cur) throw new NotFoundError(this.keys.resourceName(ref.apiVersion, ref.kind), ref.name, this.keys.namespaced(ref.apiVersion, ref.kind) ? ref.namespace || DEFAULT_NAMESPACE : undefined);
    return cur;
  }

  private checkVersion(cur: KubeObject, next: KubeObject): void {
    const want = next.metadata.resourceVersion;
    if (want && want !== cur.metadata.resourceVersion) {
      throw new ConflictError(
        `Operation cannot be fulfilled on ${cur.kind} "${cur.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    return this.getSync<T>(ref);
  }

  async list<T extends KubeObject = KubeObject>(sel: KindSelector, opts: ListOptions = {}): Promise<ListResult<T>> {
    const kind = this.keys.key(sel.apiVersion, sel.kind);
    return this.db.transaction(() => {
      let rows: Row[];
      if (opts.ownerUid) {
        rows = this.sql('SELECT o.body FROM owners w JOIN objects o ON o.uid = w.uid WHERE w.owner_uid = ? AND o.kind = ? ORDER BY o.namespace, o.name')
          .all(opts.ownerUid, kind) as Row[];
      } else if (opts.namespace !== undefined) {
        rows = this.sql('SELECT body FROM objects WHERE kind = ? AND namespace = ? ORDER BY name').all(kind, opts.namespace) as Row[];
      } else {
        rows = this.sql('SELECT body FROM objects WHERE kind = ? ORDER BY namespace, name').all(kind) as Row[];
      }
      const items = rows.map((r) => this.withRows(kind, this.parse<T>(r.body))).filter((o) => this.matches(o, opts));
      return { items, resourceVersion: String(this.rv) };
    })();
  }

  async create<T extends KubeObject>(obj: T): Promise<T> {
    return this.tx(() => this.createSync(obj));
  }

  async replace<T extends KubeObject>(next: T): Promise<T> {
    return this.tx(() => this.replaceSync(next));
  }

  async writeAll(ops: WriteOp[]): Promise<KubeObject[]> {
    return this.tx(() => ops.map((o) => (o.op === 'create' ? this.createSync(o.object) : this.replaceSync(o.object))));
  }

  private replaceSync<T extends KubeObject>(next: T): T {
    {
      const kind = this.keys.key(next.apiVersion, next.kind);
      const cur = this.mustGet<T>(this.refFor({ ...next, metadata: { ...next.metadata, namespace: this.keys.namespaceOf(next) } }));
      this.checkVersion(cur, next);
      const obj = structuredClone(next);
      obj.metadata = {
        ...obj.metadata,
        namespace: cur.metadata.namespace,
        uid: cur.metadata.uid,
        creationTimestamp: cur.metadata.creationTimestamp,
        generation: (cur.metadata.generation ?? 1) + (specOf(cur) === specOf(obj) ? 0 : 1),
      };
      if (cur.metadata.namespace === undefined) delete obj.metadata.namespace;
      keepDeletionMark(cur, obj);
      if ('status' in cur) (obj as KubeObject).status = cur.status;
      else delete (obj as KubeObject).status;
      this.write('MODIFIED', kind, obj);
      this.setOwners(obj);
      return obj;
    }
  }

  async replaceStatus<T extends KubeObject>(next: T): Promise<T> {
    return this.tx(() => {
      const kind = this.keys.key(next.apiVersion, next.kind);
      const cur = this.mustGet<T>(this.refFor({ ...next, metadata: { ...next.metadata, namespace: this.keys.namespaceOf(next) } }));
      this.checkVersion(cur, next);
      const obj = structuredClone(cur) as KubeObject;
      obj.status = structuredClone(next.status);
      this.write('MODIFIED', kind, obj);
      return obj as T;
    });
  }

  async patch<T extends KubeObject>(ref: ObjectRef, mutate: (obj: T) => void | boolean): Promise<T> {
    return this.tx(() => {
      const kind = this.keys.key(ref.apiVersion, ref.kind);
      const cur = this.mustGet<T>(ref);
      const before = JSON.stringify(cur);
      const { uid, name, namespace, creationTimestamp } = cur.metadata;
      const beforeSpec = specOf(cur);
      const marked = { metadata: { deletionTimestamp: cur.metadata.deletionTimestamp, finalizers: [...(cur.metadata.finalizers ?? [])] } } as KubeObject;
      if (mutate(cur) === false) return cur;
      if (JSON.stringify(cur) === before) return cur;
      Object.assign(cur.metadata, { uid, name, namespace, creationTimestamp });
      keepDeletionMark(marked, cur);
      if (namespace === undefined) delete cur.metadata.namespace;
      if (specOf(cur) !== beforeSpec) cur.metadata.generation = (cur.metadata.generation ?? 1) + 1;
      this.write('MODIFIED', kind, cur);
      this.setOwners(cur);
      return cur;
    });
  }

  async writeStatus<T extends KubeObject>(base: T, status: T['status'], labels?: Record<string, string>, statusJson?: string, changed?: ReadonlySet<string>): Promise<T | undefined> {
    // The last status written this way, as JSON: a controller's next write compares against it
    // instead of serializing the status it starts from again.
    const last = this.lastStatusJson;
    const baseStatusJson = last && last.rv === base.metadata.resourceVersion ? last.json : undefined;
    return this.tx(() => {
      const kind = this.keys.key(base.apiVersion, base.kind);
      const ns = this.keys.namespaced(base.apiVersion, base.kind) ? base.metadata.namespace || DEFAULT_NAMESPACE : '';
      const row = this.sql('SELECT rv FROM objects WHERE kind = ? AND namespace = ? AND name = ?').get(kind, ns, base.metadata.name) as { rv: number } | undefined;
      if (!row || String(row.rv) !== base.metadata.resourceVersion) return undefined;
      const nextLabels = labels ?? base.metadata.labels;
      const sameLabels = JSON.stringify(nextLabels ?? {}) === JSON.stringify(base.metadata.labels ?? {});
      const field = this.keys.rowsField(kind);
      if (field) {
        // Its map's entries are compared by identity with the base's (a controller replaces an
        // entry it changes and never changes one in place), the rest of the status as JSON.
        const known = statusMap(base.status, field) ?? {};
        const next = statusMap(status, field) ?? {};
        // With `changed`, only those entries can differ (a wide workflow's pass touches a few of
        // its nodes; walking all of them on every write cost O(width) twice over).
        const touched = changed ? [...changed] : undefined;
        const keys = touched ?? Object.keys(next);
        const mapSame = (touched !== undefined || keys.length === Object.keys(known).length) && keys.every((k) => next[k] === known[k]);
        const restSame = JSON.stringify(statusWithout(status, field) ?? null) === JSON.stringify(statusWithout(base.status, field) ?? null);
        if (sameLabels && mapSame && restSame) return base;
        const obj = { ...base, metadata: { ...base.metadata, ...(nextLabels ? { labels: { ...nextLabels } } : {}) }, status } as T;
        this.write('MODIFIED', kind, obj, undefined, known, touched);
        return obj;
      }
      // The status is serialized once (or by the caller, who may know which parts changed): to
      // compare, and as the stored body's status.
      const json = statusJson ?? JSON.stringify(status ?? null);
      if (sameLabels && json === (baseStatusJson ?? JSON.stringify(base.status ?? null))) return base;
      const obj = { ...base, metadata: { ...base.metadata, ...(nextLabels ? { labels: { ...nextLabels } } : {}) }, status } as T;
      this.write('MODIFIED', kind, obj, status === undefined ? undefined : json);
      this.lastStatusJson = { rv: obj.metadata.resourceVersion!, json };
      return obj;
    });
  }

  async delete(ref: ObjectRef): Promise<KubeObject[]> {
    const root = this.mustGet(ref);
    const uid = root.metadata.uid!;
    const inFlight = this.cascades.get(uid);
    if (inFlight) return inFlight;
    if (root.kind === 'Namespace' || !this.hasMoreDependents(uid, CASCADE_SLICE)) {
      return this.tx(() => {
        const deleted: KubeObject[] = [];
        this.visit(this.mustGet(ref), deleted, Infinity);
        return deleted;
      });
    }
    const cascade = this.deleteInSlices(ref, uid).finally(() => this.cascades.delete(uid));
    this.cascades.set(uid, cascade);
    return cascade;
  }

  /** Whether the object owns more than `n` objects, counting dependents of dependents. */
  private hasMoreDependents(uid: string, n: number): boolean {
    const row = this.sql('WITH RECURSIVE tree(uid) AS (SELECT uid FROM owners WHERE owner_uid = ? UNION SELECT w.uid FROM owners w JOIN tree t ON w.owner_uid = t.uid LIMIT ?) SELECT COUNT(*) AS n FROM tree').get(uid, n + 1) as { n: number };
    return row.n > n;
  }

  /**
   * A large cascade (a workflow's 10,000 pods and their events) in transactions of
   * CASCADE_SLICE objects, dependents first as ever, the server serving in between: one
   * transaction held the event loop for seconds. The owner is marked first as Kubernetes marks
   * an owner in foreground deletion (deletionTimestamp, finalizer `foregroundDeletion`), so its
   * controller starts nothing new and a store reopened after a crash finishes the job.
   */
  private async deleteInSlices(ref: ObjectRef, uid: string): Promise<KubeObject[]> {
    this.tx(() => {
      const cur = this.mustGet(ref);
      if (cur.metadata.deletionTimestamp && cur.metadata.finalizers?.includes(FOREGROUND_DELETION)) return;
      cur.metadata.deletionTimestamp ??= new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      cur.metadata.finalizers = [...(cur.metadata.finalizers ?? []).filter((f) => f !== FOREGROUND_DELETION), FOREGROUND_DELETION];
      this.write('MODIFIED', this.keys.key(cur.apiVersion, cur.kind), cur);
    });
    const deleted: KubeObject[] = [];
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (this.closing) return deleted;
      const slice: KubeObject[] = [];
      const done = this.tx(() => {
        if (!this.sql('SELECT 1 FROM objects WHERE uid = ?').get(uid)) return true;
        // The owner (a workflow's status may be megabytes) is read once, when its dependents are gone.
        return this.visitDependents(uid, slice, CASCADE_SLICE) && this.visit(this.mustGet(ref), slice, CASCADE_SLICE);
      });
      deleted.push(...slice);
      if (done) return deleted;
    }
  }

  /**
   * Deletes `obj`'s dependents depth first, then `obj`, appending each to `out`; stops once `out`
   * holds `limit` objects. True when `obj` itself went.
   */
  private visit(obj: KubeObject, out: KubeObject[], limit: number): boolean {
    const uid = obj.metadata.uid!;
    // Dependents first, so a watcher never sees an orphan whose owner is already gone.
    if (!this.visitDependents(uid, out, limit)) return false;
    if (obj.kind === 'Namespace') {
      const inNs = this.sql('SELECT body FROM objects WHERE namespace = ?').all(obj.metadata.name) as Row[];
      for (const c of inNs) {
        const child = this.parse<KubeObject>(c.body);
        if (this.getSync(this.refFor(child)) && !this.visit(child, out, limit)) return false;
      }
    }
    if (out.length >= limit) return false;
    if (this.sql('DELETE FROM objects WHERE uid = ?').run(uid).changes === 0) return true;
    const kind = this.keys.key(obj.apiVersion, obj.kind);
    this.sql('DELETE FROM owners WHERE uid = ? OR owner_uid = ?').run(uid, uid);
    this.sql('DELETE FROM observation_logs WHERE owner_uid = ?').run(uid);
    this.sql('DELETE FROM object_parts WHERE uid = ?').run(uid);
    this.logChange('DELETED', kind, obj);
    this.pending.push({ type: 'DELETED', object: obj });
    out.push(obj);
    return true;
  }

  /** The dependents part of `visit`: true when none is left. */
  private visitDependents(uid: string, out: KubeObject[], limit: number): boolean {
    // Each takes a slot at least, so no more are read than the slots left.
    const children = this.sql('SELECT o.body FROM owners w JOIN objects o ON o.uid = w.uid WHERE w.owner_uid = ? LIMIT ?').all(uid, limit === Infinity ? -1 : limit - out.length + 1) as Row[];
    for (const c of children) if (!this.visit(this.parse<KubeObject>(c.body), out, limit)) return false;
    return true;
  }

  /** Cascades a crash interrupted (owners still marked), finished once the store is open. */
  private resumeCascades(): void {
    const rows = this.sql(`SELECT body FROM objects WHERE body LIKE '%"${FOREGROUND_DELETION}"%'`).all() as Row[];
    for (const r of rows) {
      const obj = this.parse<KubeObject>(r.body);
      if (!obj.metadata.deletionTimestamp || !obj.metadata.finalizers?.includes(FOREGROUND_DELETION)) continue;
      setImmediate(() => {
        if (this.closing) return;
        this.delete(this.refFor(obj)).catch((err: unknown) => this.warn('could not finish deleting an object', { kind: obj.kind, name: obj.metadata.name, error: String(err) }));
      });
    }
  }

  async recordEvent(e: EventInput): Promise<void> {
    this.tx(() => {
      const inv = e.involved;
      const ns = inv.metadata.namespace || DEFAULT_NAMESPACE;
      const now = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      // Named after what it says, so a repeat is found by name: folding costs the same whether
      // the object has two dependents or the thousands of trials an experiment owns.
      const digest = createHash('sha256').update(`${inv.metadata.uid}\u0000${e.type}\u0000${e.reason}\u0000${e.message}`).digest('hex').slice(0, 16);
      const name = `${inv.metadata.name}.${digest}`;
      const existing = this.getSync<Event & KubeObject>({ apiVersion: 'v1', kind: 'Event', namespace: ns, name });
      if (existing) {
        existing.count = (existing.count ?? 1) + 1;
        existing.lastTimestamp = now;
        this.write('MODIFIED', 'Event', existing);
        return;
      }
      const ev: Event & KubeObject = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: ns },
        involvedObject: {
          apiVersion: inv.apiVersion,
          kind: inv.kind,
          name: inv.metadata.name,
          namespace: inv.metadata.namespace,
          uid: inv.metadata.uid,
          resourceVersion: inv.metadata.resourceVersion,
        },
        type: e.type,
        reason: e.reason,
        message: e.message,
        source: { component: e.source },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      // Events go when the object they describe goes: own them through the internal owner index.
      this.createSync(ev, inv.metadata.uid);
    });
  }

  watch(sel: KindSelector | undefined, opts: ListOptions & { fromResourceVersion?: string }, handler: (e: WatchEvent) => void): () => void {
    const kind = sel ? this.keys.key(sel.apiVersion, sel.kind) : undefined;
    const w: Watcher = { kind, opts, handler };
    if (opts.fromResourceVersion && opts.fromResourceVersion !== '0') {
      const from = Number(opts.fromResourceVersion);
      const oldest = this.sql('SELECT MIN(rv) AS rv FROM changes').get() as { rv: number | null };
      if (!Number.isInteger(from) || (oldest.rv !== null ? from < oldest.rv - 1 : from < this.rv)) throw new ExpiredError(opts.fromResourceVersion);
      const rows = this.sql('SELECT type, kind, body FROM changes WHERE rv > ? ORDER BY rv').all(from) as { type: WatchEventType; kind: string; body: string }[];
      for (const r of rows) {
        // A kind that keeps a status map as rows logs its changes without it: a replayed event
        // carries the map as it is now (a deleted object's, none).
        const object = this.withRows(r.kind, this.parse<KubeObject>(r.body));
        if (this.watcherWants(w, object)) handler({ type: r.type, object });
      }
    }
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  async appendObservationLog(ownerUid: string, entries: readonly ObservationLogEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    return this.tx(() => {
      const insert = this.sql('INSERT OR IGNORE INTO observation_logs (owner_uid, source, seq, name, value, time, time_ms) VALUES (?, ?, ?, ?, ?, ?, ?)');
      const next = this.sql('SELECT COALESCE(MAX(seq) + 1, 0) AS seq FROM observation_logs WHERE owner_uid = ? AND source = ?');
      let added = 0;
      for (const e of entries) {
        const ms = Date.parse(e.time);
        const seq = e.seq ?? (next.get(ownerUid, e.source) as { seq: number }).seq;
        added += insert.run(ownerUid, e.source, seq, e.name, e.value, e.time, Number.isFinite(ms) ? ms : 0).changes;
      }
      return added;
    });
  }

  async observationLog(ownerUid: string): Promise<Required<ObservationLogEntry>[]> {
    return this.sql('SELECT source, seq, name, value, time FROM observation_logs WHERE owner_uid = ? ORDER BY time_ms, rowid').all(ownerUid) as Required<ObservationLogEntry>[];
  }

  /** A consistent copy of the store at `dest`, taken while it serves (SQLite's online backup). */
  async backup(dest: string): Promise<void> {
    await backupStore(this.db, dest);
  }

  async close(): Promise<void> {
    // A cascade stops at its next slice; the owner stays marked and the next open finishes it.
    this.closing = true;
    await Promise.allSettled([...this.cascades.values()]);
    this.watchers.clear();
    await this.checkpointer?.stop();
    this.checkpointer = undefined;
    this.db.close();
  }
}

/** An object being deleted stays so whatever an update says (as the API server keeps deletionTimestamp). */
function keepDeletionMark(cur: KubeObject, next: KubeObject): void {
  const since = cur.metadata.deletionTimestamp;
  if (!since) return;
  next.metadata.deletionTimestamp = since;
  if (cur.metadata.finalizers?.includes(FOREGROUND_DELETION) && !next.metadata.finalizers?.includes(FOREGROUND_DELETION)) {
    next.metadata.finalizers = [...(next.metadata.finalizers ?? []), FOREGROUND_DELETION];
  }
}

/** Opens (creating if needed) the store at `path`. */
export async function openSqliteStore(path: string, opts: SqliteStoreOptions): Promise<Store> {
  return new SqliteStore(path, opts);
}
