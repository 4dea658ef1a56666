import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, type AuditEntry } from './audit.js';
import type { Logger } from '../util/logger.js';

const entry = (i: number): AuditEntry => ({ time: '2026-01-01T00:00:00.000Z', user: 'alice', groups: ['system:authenticated'], verb: 'get', path: `/api/v1/namespaces/default/pods/p${i}`, resource: 'pods', namespace: 'default', name: `p${i}`, code: 200, sourceIP: '127.0.0.1' });

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const l: Logger & { lines: string[] } = { lines, debug() {}, info: (m) => void lines.push(`info ${m}`), warn: (m) => void lines.push(`warn ${m}`), error: (m) => void lines.push(`error ${m}`), child: () => l };
  return l;
}

test('the audit log appends one JSON line per entry (0600) and rotates by size, keeping maxFiles old files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-audit-'));
  try {
    const file = join(dir, 'audit.log');
    const log = new AuditLog({ file, maxBytes: 1000, maxFiles: 2, logger: recordingLogger() });
    for (let i = 0; i < 40; i++) log.record(entry(i));
    log.close();
    assert.deepEqual(readdirSync(dir).sort(), ['audit.log', 'audit.log.1', 'audit.log.2']);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    for (const f of readdirSync(dir)) assert.ok(statSync(join(dir, f)).size <= 1000, f);
    const last = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
    assert.equal(last[last.length - 1]!.name, 'p39');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed audit write is reported once and never thrown; writing resumes when it can', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-audit-'));
  try {
    const logger = recordingLogger();
    const log = new AuditLog({ file: join(dir, 'missing', 'audit.log'), logger });
    log.record(entry(1));
    log.record(entry(2));
    assert.deepEqual(logger.lines, ['error cannot write the audit log: requests go on unaudited until it can be written']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
