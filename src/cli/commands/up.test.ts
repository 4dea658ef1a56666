import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../args.js';
import { GLOBAL_FLAGS } from '../command.js';
import { UsageError } from '../args.js';
import { buildOptions, command, foregroundArgs, listenPort } from './up.js';

const parse = (argv: string[]) => parseArgs(argv, [...command.flags, ...GLOBAL_FLAGS], 'up');

test('up listens on --port, else on the port of a loopback DROVER_SERVER, else where the config says', () => {
  assert.equal(listenPort('0', {}), 0);
  assert.equal(listenPort('7460', { DROVER_SERVER: 'http://127.0.0.1:9000' }), 7460);
  assert.equal(listenPort(undefined, { DROVER_SERVER: 'http://127.0.0.1:9000' }), 9000);
  assert.equal(listenPort(undefined, { DROVER_SERVER: 'http://10.1.2.3:9000' }), undefined);
  assert.equal(listenPort(undefined, {}), undefined);
  assert.throws(() => listenPort('http', {}), UsageError);
  assert.throws(() => listenPort('70000', {}), UsageError);
});

test('up flags become the server options and survive the re-run of -d', () => {
  const args = parse(['--home', 'h', '--port', '7461', '--node-label', 'role=train-cpu', '--node-label', 'zone=a', '--cpus', '2', '--memory', '4Gi', '--gpus', '0', '--log-level', 'debug', '-d']);
  const opts = buildOptions(args, {}, '/work');
  assert.deepEqual(opts, { home: '/work/h', port: 7461, nodeLabels: { role: 'train-cpu', zone: 'a' }, capacity: { cpu: '2', memory: '4Gi', gpus: 0 }, logLevel: 'debug' });
  const again = buildOptions(parse(foregroundArgs(opts).slice(1)), {}, '/elsewhere');
  assert.deepEqual(again, opts);
  assert.ok(!foregroundArgs(opts).includes('-d'));
  assert.deepEqual(buildOptions(parse([]), { DROVER_HOME: '/d' }, '/'), { home: '/d' });
});

test('bad up flags are usage errors', () => {
  for (const argv of [['--cpus', 'many'], ['--memory', '-1Gi'], ['--gpus', '1.5'], ['--node-label', 'novalue'], ['--log-level', 'loud']]) {
    assert.throws(() => buildOptions(parse(argv), {}, '/'), UsageError, argv.join(' '));
  }
});

test('--runtime kubernetes with its kubeconfig, context and namespace survives the re-run of -d; kube flags need it', () => {
  const opts = buildOptions(parse(['--home', '/h', '--runtime', 'kubernetes', '--kubeconfig', 'kc.yaml', '--context', 'prod', '--namespace', 'ml-team']), {}, '/work');
  assert.deepEqual(opts.runtime, { kind: 'kubernetes', kubeconfig: '/work/kc.yaml', context: 'prod', namespace: 'ml-team' });
  assert.deepEqual(buildOptions(parse(foregroundArgs(opts).slice(1)), {}, '/elsewhere'), opts);
  assert.deepEqual(buildOptions(parse(['--home', '/h', '--runtime', 'local']), {}, '/').runtime, { kind: 'local' });
  assert.throws(() => buildOptions(parse(['--runtime', 'docker']), {}, '/'), /invalid --runtime "docker": use local or kubernetes/);
  assert.throws(() => buildOptions(parse(['--namespace', 'ml-team']), {}, '/'), /--namespace needs --runtime kubernetes/);
});
