import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type Session, decodeSession, encodeSession, foreignCookies, notebookTarget, sessionCookie } from './notebook-proxy.js';

const key = randomBytes(32);
const T0 = 1_000_000_000_000;
const H = 3_600_000;
const s: Session = { u: 'alice', g: ['system:authenticated'], ns: 'team', n: 'lab', iat: T0, at: T0 };
const lab = { namespace: 'team', name: 'lab' };

test('paths under /notebook/<ns>/<name> name their notebook; others do not', () => {
  assert.deepEqual(notebookTarget('/notebook/team/lab/api/status'), { namespace: 'team', name: 'lab', rest: '/api/status' });
  assert.deepEqual(notebookTarget('/notebook/team/lab'), { namespace: 'team', name: 'lab', rest: undefined });
  assert.equal(notebookTarget('/notebook/team'), undefined);
  assert.equal(notebookTarget('/notebooks/team/lab/'), undefined);
  assert.equal(notebookTarget('/notebook/%E0%A4%A/lab/'), undefined);
});

test('a session cookie reads back for its notebook only, while neither idle an hour nor twelve hours old', () => {
  const v = encodeSession(key, s);
  assert.deepEqual(decodeSession(key, v, lab, T0 + 1000), s);
  assert.equal(decodeSession(key, v, { namespace: 'team', name: 'other' }, T0), undefined);
  assert.equal(decodeSession(key, v, { namespace: 'other', name: 'lab' }, T0), undefined);
  assert.equal(decodeSession(key, v, lab, T0 + H), undefined, 'idle an hour');
  const renewed = encodeSession(key, { ...s, at: T0 + 11.5 * H });
  assert.ok(decodeSession(key, renewed, lab, T0 + 11.9 * H));
  assert.equal(decodeSession(key, renewed, lab, T0 + 12 * H), undefined, 'twelve hours after it was first made');
});

test('a cookie altered, signed with another key, or malformed is nobody’s', () => {
  const v = encodeSession(key, s);
  const [body, mac] = v.split('.') as [string, string];
  const forged = Buffer.from(JSON.stringify({ ...s, u: 'admin', g: ['system:masters'] })).toString('base64url');
  assert.equal(decodeSession(key, `${forged}.${mac}`, lab, T0), undefined);
  assert.equal(decodeSession(randomBytes(32), v, lab, T0), undefined);
  assert.equal(decodeSession(key, body, lab, T0), undefined);
  assert.equal(decodeSession(key, `${v}.x`, lab, T0), undefined);
  assert.equal(decodeSession(key, `${body}.${mac.slice(1)}`, lab, T0), undefined);
});

test('Set-Cookie: this notebook’s path, HttpOnly, SameSite=Strict, Secure over TLS, never past twelve hours', () => {
  assert.match(sessionCookie(key, s, false), /^drover-notebook=[^;]+; Path=\/notebook\/team\/lab\/; Max-Age=3600; HttpOnly; SameSite=Strict$/);
  assert.match(sessionCookie(key, s, true), /; SameSite=Strict; Secure$/);
  assert.match(sessionCookie(key, { ...s, at: T0 + 11.75 * H }, false), /Max-Age=900;/);
});

test('the notebook gets the browser’s other cookies, never Drover’s', () => {
  assert.equal(foreignCookies('drover-notebook=abc; _xsrf=2|x; username-1=y'), '_xsrf=2|x; username-1=y');
  assert.equal(foreignCookies('drover-notebook=abc'), undefined);
  assert.equal(foreignCookies(undefined), undefined);
});
