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
];
