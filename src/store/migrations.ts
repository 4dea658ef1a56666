/**
 * Numbered schema migrations, applied in order inside one transaction each. Never edit a
 * released migration: add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: objects keyed by kind/namespace/name; a change log whose rowid is the resourceVersion.
  `
  CREATE TABLE objects (
    kind      TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name      TEXT NOT NULL,
    uid       TEXT NOT NULL UNIQUE,
    rv        INTEGER NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (kind, namespace, name)
  ) WITHOUT ROWID;
  CREATE TABLE owners (
    owner_uid TEXT NOT NULL,
    uid       TEXT NOT NULL,
    PRIMARY KEY (owner_uid, uid)
  ) WITHOUT ROWID;
  CREATE INDEX owners_by_uid ON owners (uid);
  CREATE TABLE changes (
    rv        INTEGER PRIMARY KEY AUTOINCREMENT,
    type      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    namespace TEXT NOT NULL,
    body      TEXT NOT NULL
  );
  `,
  // 2: metric values trials report (Katib's observation log), kept out of the Trial objects so a
  // long series costs nothing on status writes. (source, seq) makes a re-read of the same log
  // after a restart insert nothing twice.
  `
  CREATE TABLE observation_logs (
    owner_uid TEXT NOT NULL,
    source    TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    name      TEXT NOT NULL,
    value     TEXT NOT NULL,
    time      TEXT NOT NULL,
    time_ms   INTEGER NOT NULL,
    UNIQUE (owner_uid, source, seq)
  );
  CREATE INDEX observation_logs_by_owner ON observation_logs (owner_uid, time_ms);
  `,
  // 3: when each change was written and how big it is, so the change log is bounded by age and
  // size as well as by count. Rows from before this migration count as written now.
  `
  ALTER TABLE changes ADD COLUMN time_ms INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE changes ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
  UPDATE changes SET time_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), bytes = length(body);
  `,
  // 4: entries of a status map kept as rows of their own (KindInfo.statusRows: a workflow's
  // nodes), so a write stores what changed; rowid keeps their first-written order. Workflows
  // stored before keep their nodes in the body; they move here.
  `
  CREATE TABLE object_parts (
    uid  TEXT NOT NULL,
    key  TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (uid, key)
  );
  INSERT INTO object_parts (uid, key, body)
    SELECT o.uid, j.key, j.value FROM objects o, json_each(o.body, '$.status.nodes') j
    WHERE o.kind = 'Workflow.argoproj.io' AND json_valid(o.body) AND json_type(o.body, '$.status.nodes') = 'object';
  UPDATE objects SET body = json_remove(body, '$.status.nodes')
    WHERE kind = 'Workflow.argoproj.io' AND json_valid(body) AND json_type(body, '$.status.nodes') = 'object';
  `,
];
