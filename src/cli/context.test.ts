import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { droverHome, readServerInfo, serverUrl } from './context.js';

test('the server address comes from --server, then DROVER_SERVER, then server.json, then 7450', () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-cli-'));
  try {
    assert.equal(serverUrl({ DROVER_HOME: home }), 'http://127.0.0.1:7450');
    writeFileSync(join(home, 'server.json'), JSON.stringify({ port: 7999, pid: 42 }));
    assert.deepEqual(readServerInfo(home), { port: 7999, pid: 42 });
    assert.equal(serverUrl({ DROVER_HOME: home }), 'http://127.0.0.1:7999');
    assert.equal(serverUrl({ DROVER_HOME: home, DROVER_SERVER: 'http://10.0.0.1:8000/' }), 'http://10.0.0.1:8000');
    assert.equal(serverUrl({ DROVER_HOME: home, DROVER_SERVER: 'http://10.0.0.1:8000' }, 'http://h:1'), 'http://h:1');
    writeFileSync(join(home, 'server.json'), JSON.stringify({ port: 7999, pid: 42, url: 'http://127.0.0.2:7999' }));
    assert.equal(serverUrl({ DROVER_HOME: home }), 'http://127.0.0.2:7999', 'the recorded address wins over the port');
    writeFileSync(join(home, 'server.json'), JSON.stringify({ port: 7999, pid: 42, url: 'http://0.0.0.0:7999' }));
    assert.equal(serverUrl({ DROVER_HOME: home }), 'http://127.0.0.1:7999', 'a wildcard address means this machine');
    writeFileSync(join(home, 'server.json'), '{"port":');
    assert.equal(readServerInfo(home), undefined, 'a half-written file is ignored');
    assert.equal(serverUrl({ DROVER_HOME: home, DROVER_PORT: '7001' }), 'http://127.0.0.1:7001');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('DROVER_HOME defaults to ~/.drover', () => {
  assert.equal(droverHome({ HOME: '/home/u' }), '/home/u/.drover');
  assert.equal(droverHome({ HOME: '/home/u', DROVER_HOME: '/x' }), '/x');
});
