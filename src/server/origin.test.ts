import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopback, refusal, servesHost } from './origin.js';

const local = { listenHost: '127.0.0.1', names: ['workstation'] };
const everywhere = { listenHost: '0.0.0.0', names: ['workstation', 'drover.ml.svc'] };

test('the server answers to loopback, its own names and its address, not to another name (DNS rebinding)', () => {
  for (const h of ['127.0.0.1:7450', 'localhost:7450', '[::1]:7450', 'LOCALHOST', 'workstation:7450', 'app.localhost:7450']) assert.equal(servesHost(local, h), true, h);
  for (const h of ['evil.example:7450', '10.0.0.5:7450', '']) assert.equal(servesHost(local, h), false, h);
  assert.equal(servesHost(everywhere, '10.0.0.5:7450'), true, 'any address when listening on all of them');
  assert.equal(servesHost(everywhere, 'drover.ml.svc:7450'), true);
  assert.equal(servesHost(everywhere, 'evil.example'), false, 'but no other name');
});

test('a request from a page of another origin or site is refused; a client without Origin, or the same origin, is not', () => {
  assert.equal(refusal(local, { host: '127.0.0.1:7450' }), undefined);
  assert.equal(refusal(local, { host: '127.0.0.1:7450', origin: 'http://127.0.0.1:7450' }), undefined);
  assert.match(refusal(local, { host: '127.0.0.1:7450', origin: 'http://evil.example' })!, /another origin \(http:\/\/evil\.example\)/);
  assert.match(refusal(local, { host: '127.0.0.1:7450', origin: 'http://127.0.0.1:8080' })!, /another origin/);
  assert.match(refusal(local, { host: '127.0.0.1:7450', origin: 'null' })!, /another origin/);
  assert.match(refusal(local, { host: '127.0.0.1:7450', 'sec-fetch-site': 'cross-site' })!, /another site/);
  assert.match(refusal(local, { host: 'evil.example:7450' })!, /Host header "evil\.example:7450"/);
  assert.match(refusal(local, {})!, /Host header ""/);
});

test('loopback addresses are this machine\'s alone; a wildcard or a network address is not', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) assert.equal(isLoopback(h), true, h);
  for (const h of ['0.0.0.0', '::', '10.0.0.5', 'workstation']) assert.equal(isLoopback(h), false, h);
});
