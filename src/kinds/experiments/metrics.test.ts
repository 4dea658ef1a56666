import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_METRICS_FILTER,
  LineBuffer,
  ZERO_TIME,
  compileMetricsFilter,
  metricNumber,
  metricsFilterError,
  objectiveSeries,
  objectiveStrategy,
  objectiveValue,
  observationOf,
  parseJsonLines,
  parseMetricTime,
  parseTextLines,
  type MetricPoint,
} from './metrics.js';
import type { ObjectiveSpec } from './types.js';

const names = ['accuracy', 'loss'];

test("the default filter is Katib's", () => {
  assert.equal(DEFAULT_METRICS_FILTER, '([\\w|-]+)\\s*=\\s*([+-]?\\d*(\\.\\d+)?([Ee][+-]?\\d+)?)');
  const pick = (line: string) => parseTextLines([line], ['loss', 'accuracy', 'Score', 'val-acc']).map((p) => `${p.name}=${p.value}`);
  assert.deepEqual(pick('loss=0.3'), ['loss=0.3']);
  assert.deepEqual(pick('accuracy=.98'), ['accuracy=.98']);
  assert.deepEqual(pick('Score=-7.53e-05 Score=-7.53e+05 Score=1E0 Score=1.23E10'), ['Score=-7.53e-05', 'Score=-7.53e+05', 'Score=1E0', 'Score=1.23E10']);
  assert.deepEqual(pick('loss = 1e-3'), ['loss=1e-3'], 'spaces around = and a bare exponent');
  assert.deepEqual(pick('val-acc=+0.5'), ['val-acc=+0.5']);
});

test('stdout lines with and without timestamps, several metrics per line', () => {
  const lines = [
    '2024-05-01T10:00:00.123456789Z epoch 3: accuracy=0.91 loss=0.2',
    'epoch 4: accuracy=0.93 loss=-0.5',
    '2024-05-01T12:00:00+02:00 accuracy=0.95',
    'not-a-time accuracy=0.96',
    'accuracy=0.97',
  ];
  assert.deepEqual(parseTextLines(lines, names), [
    { name: 'accuracy', value: '0.91', time: '2024-05-01T10:00:00.123456789Z' },
    { name: 'loss', value: '0.2', time: '2024-05-01T10:00:00.123456789Z' },
    { name: 'accuracy', value: '0.93', time: ZERO_TIME },
    { name: 'loss', value: '-0.5', time: ZERO_TIME },
    { name: 'accuracy', value: '0.95', time: '2024-05-01T12:00:00+02:00' },
    { name: 'accuracy', value: '0.96', time: ZERO_TIME },
    { name: 'accuracy', value: '0.97', time: ZERO_TIME },
  ]);
  // A caller-given time replaces Katib's zero time.
  const at = '2024-05-01T09:00:00Z';
  assert.deepEqual(parseTextLines(['loss=1'], names, undefined, at), [{ name: 'loss', value: '1', time: at }]);
  assert.deepEqual(parseTextLines(['loss=1'], names, [], at), [{ name: 'loss', value: '1', time: at }], 'no filters: the default');
});

test('lines that mention a name but do not match, and names not asked for', () => {
  assert.deepEqual(parseTextLines(['the loss is going down', 'loss: 0.2', 'accuracy'], names), []);
  assert.deepEqual(parseTextLines(['lr=0.1 momentum=0.9'], names), [], 'no asked-for name on the line');
  assert.deepEqual(parseTextLines(['lr=0.1 loss=0.4 val_loss=0.5'], names), [{ name: 'loss', value: '0.4', time: ZERO_TIME }]);
  // As in Katib, the value group may match nothing: the point is kept, its value empty.
  assert.deepEqual(parseTextLines(['loss=nan'], names), [{ name: 'loss', value: '', time: ZERO_TIME }]);
  assert.deepEqual(parseTextLines([], names), []);
});

test('a custom filter, several filters, and Go-only syntax', () => {
  const colon = String.raw`([\w|-]+)\s*:\s*((-?\d+)(\.\d+)?)`;
  assert.deepEqual(parseTextLines(['epoch 3: accuracy: 0.91, loss : -2'], names, [colon]), [
    { name: 'accuracy', value: '0.91', time: ZERO_TIME },
    { name: 'loss', value: '-2', time: ZERO_TIME },
  ]);
  // Every filter runs over the line; matches come filter by filter.
  assert.deepEqual(
    parseTextLines(['loss=0.5 accuracy: 0.9'], names, [colon, DEFAULT_METRICS_FILTER]).map((p) => `${p.name}=${p.value}`),
    ['accuracy=0.9', 'loss=0.5'],
  );
  const json = String.raw`{metricName: ([\w|-]+), metricValue: ((-?\d+)(\.\d+)?)}`;
  assert.deepEqual(parseTextLines(['{metricName: loss, metricValue: 0.25}'], names, [json]), [{ name: 'loss', value: '0.25', time: ZERO_TIME }]);
  // Go syntax: named groups, POSIX classes, a leading flag.
  assert.deepEqual(parseTextLines(['LOSS=3'], ['LOSS'], ['(?P<name>[[:upper:]]+)=(?P<value>[[:digit:]]+)']), [{ name: 'LOSS', value: '3', time: ZERO_TIME }]);
  assert.deepEqual(parseTextLines(['Loss -> 3'], ['Loss'], ['(?i)(loss)\\s*->\\s*(\\d)']), [{ name: 'Loss', value: '3', time: ZERO_TIME }]);
  assert.deepEqual(parseTextLines(['a]=1'], ['a]'], ['([]a]+)=(\\d)']), [{ name: 'a]', value: '1', time: ZERO_TIME }], "Go's []…] class");
});

test('invalid filters are refused with a reason', () => {
  assert.equal(metricsFilterError(DEFAULT_METRICS_FILTER), undefined);
  assert.match(metricsFilterError('(\\w+)=\\d+')!, /two groups are required/);
  assert.match(metricsFilterError('(\\w+=(\\d+')!, /not a valid regular expression/);
  assert.match(metricsFilterError('(\\w+)=(?=x)(\\d+)')!, /lookahead/);
  assert.match(metricsFilterError('(\\w+)=(\\d+)\\1')!, /backreferences/);
  assert.match(metricsFilterError('(?U)(\\w+)=(\\d+)')!, /inline flag "U"/);
  assert.match(metricsFilterError('(\\w+)=(?i:(\\d+))')!, /inline flags/);
  assert.match(metricsFilterError('([[:^digit:]]+)=(\\d+)')!, /POSIX/);
  assert.throws(() => parseTextLines(['loss=1'], names, ['(loss']), /metrics filter "\(loss"/);
  assert.equal(compileMetricsFilter(DEFAULT_METRICS_FILTER), compileMetricsFilter(DEFAULT_METRICS_FILTER), 'compiled once');
});

test('JSON lines: string values, number values, both timestamp forms', () => {
  const lines = [
    '{"loss": "0.22", "global_step": "0", "timestamp": 1638422847.28721}',
    '{"accuracy": "0.93", "timestamp": 1638422847.5}',
    '{"loss": "0.14", "timestamp": "2021-12-02T14:27:50.000035161Z"}',
    '{"loss": "0.10"}',
    '',
    '   ',
    '{"loss": 0.05, "accuracy": 0.99, "timestamp": 1638422900}',
    '{"loss": "0.04", "timestamp": "yesterday"}',
    '{"loss": "0.03", "timestamp": 1638422901}',
    'null',
  ];
  assert.deepEqual(parseJsonLines(lines, names), [
    // Katib would read .28721 as 28721ns; Drover reads the fraction of a second.
    { name: 'loss', value: '0.22', time: '2021-12-02T05:27:27.28721Z' },
    { name: 'accuracy', value: '0.93', time: '2021-12-02T05:27:27.5Z' },
    { name: 'loss', value: '0.14', time: '2021-12-02T14:27:50.000035161Z' },
    { name: 'loss', value: '0.10', time: ZERO_TIME },
    // Number values are not metrics in Katib's JSON format.
    { name: 'loss', value: '0.04', time: ZERO_TIME },
    { name: 'loss', value: '0.03', time: '2021-12-02T05:28:21Z' },
  ]);
  const at = '2024-01-01T00:00:00Z';
  assert.deepEqual(parseJsonLines(['{"loss": "1"}'], names, at), [{ name: 'loss', value: '1', time: at }]);
  assert.throws(() => parseJsonLines(['{"loss": "1"}', '{"loss": '], names), /metrics line 2 is not valid JSON/);
  assert.throws(() => parseJsonLines(['["loss", "1"]'], names), /metrics line 1 is not a JSON object/);
});

test('LineBuffer: chunks split anywhere give the same lines as one read', () => {
  const text = 'epoch 1: loss=0.5\r\nepoch 2: loss=0.4\n\nlast é line loss=0.3';
  const whole = new LineBuffer();
  const expected = [...whole.push(text), ...whole.flush()];
  assert.deepEqual(expected, ['epoch 1: loss=0.5', 'epoch 2: loss=0.4', '', 'last é line loss=0.3']);
  for (let cut = 0; cut <= text.length; cut++) {
    const b = new LineBuffer();
    assert.deepEqual([...b.push(text.slice(0, cut)), ...b.push(text.slice(cut)), ...b.flush()], expected, `cut at ${cut}`);
  }
  // Bytes: a multi-byte character split between chunks, and \r\n split between chunks.
  const bytes = Buffer.from(text, 'utf8');
  for (let cut = 0; cut <= bytes.length; cut++) {
    const b = new LineBuffer();
    assert.deepEqual([...b.push(bytes.subarray(0, cut)), ...b.push(bytes.subarray(cut)), ...b.flush()], expected, `byte cut at ${cut}`);
  }
  const b = new LineBuffer();
  assert.deepEqual(b.push('a=1\r'), []);
  assert.deepEqual(b.push('\nb'), ['a=1']);
  assert.deepEqual(b.push('=2\n'), ['b=2']);
  assert.deepEqual(b.flush(), [], 'nothing after a final newline');
  assert.deepEqual(b.flush(), []);
});

const pt = (name: string, value: string, time = ZERO_TIME): MetricPoint => ({ name, value, time });

test('observationOf: min, max and latest; unavailable for a metric never seen', () => {
  const points = [
    pt('loss', '0.5', '2024-01-01T00:00:01Z'),
    pt('loss', '0.20', '2024-01-01T00:00:02Z'),
    pt('accuracy', '0.8', '2024-01-01T00:00:02Z'),
    pt('loss', 'nan?', '2024-01-01T00:00:03Z'),
    pt('loss', '1e-1', '2024-01-01T00:00:00Z'),
    pt('other', '7'),
  ];
  assert.deepEqual(observationOf(points, ['loss', 'accuracy', 'f1']), [
    // min/max skip the non-numeric value and keep the strings as written; latest is by time.
    { name: 'loss', min: '1e-1', max: '0.5', latest: 'nan?' },
    { name: 'accuracy', min: '0.8', max: '0.8', latest: '0.8' },
    { name: 'f1', min: 'unavailable', max: 'unavailable', latest: 'unavailable' },
  ]);
  // Equal times: the later point is the latest. Only non-numeric values: min/max unavailable.
  assert.deepEqual(observationOf([pt('loss', '3'), pt('loss', '2'), pt('loss', '4')], ['loss']), [{ name: 'loss', min: '2', max: '4', latest: '4' }]);
  assert.deepEqual(observationOf([pt('loss', 'unavailable')], ['loss']), [{ name: 'loss', min: 'unavailable', max: 'unavailable', latest: 'unavailable' }]);
  // Times with offsets and fractions compare as instants.
  assert.deepEqual(
    observationOf([pt('loss', '1', '2024-01-01T01:00:00.5+01:00'), pt('loss', '2', '2024-01-01T00:00:00.4Z')], ['loss'])[0]!.latest,
    '1',
  );
  assert.throws(() => observationOf([pt('loss', '1', 'yesterday')], ['loss']), /invalid time "yesterday"/);
});

const objective = (type: 'minimize' | 'maximize', strategy?: 'min' | 'max' | 'latest'): ObjectiveSpec => ({
  type,
  objectiveMetricName: 'loss',
  ...(strategy ? { metricStrategies: [{ name: 'accuracy', value: 'max' as const }, { name: 'loss', value: strategy }] } : {}),
});

test('objectiveValue for each strategy, with the fallback to latest', () => {
  const m = [{ name: 'loss', min: '0.1', max: '0.9', latest: '0.4' }];
  assert.equal(objectiveValue(m, objective('minimize', 'min')), 0.1);
  assert.equal(objectiveValue(m, objective('minimize', 'max')), 0.9);
  assert.equal(objectiveValue(m, objective('minimize', 'latest')), 0.4);
  assert.equal(objectiveValue(m, objective('minimize')), 0.1, "Katib's default: min when minimizing");
  assert.equal(objectiveValue(m, objective('maximize')), 0.9, 'max when maximizing');
  assert.equal(objectiveStrategy(objective('maximize', 'latest')), 'latest');
  const noNumbers = [{ name: 'loss', min: 'unavailable', max: 'unavailable', latest: '0.3' }];
  assert.equal(objectiveValue(noNumbers, objective('minimize', 'min')), 0.3, 'min unavailable: latest');
  assert.equal(objectiveValue(noNumbers, objective('maximize', 'max')), 0.3);
  const unavailable = [{ name: 'loss', min: 'unavailable', max: 'unavailable', latest: 'unavailable' }];
  assert.equal(objectiveValue(unavailable, objective('minimize', 'min')), undefined);
  assert.equal(objectiveValue([{ name: 'loss', min: '1', max: '2', latest: 'diverged' }], objective('minimize', 'latest')), undefined);
  assert.equal(objectiveValue([{ name: 'accuracy', min: '1', max: '1', latest: '1' }], objective('minimize', 'min')), undefined, 'no objective metric');
  assert.equal(objectiveValue([], objective('minimize')), undefined);
});

test('objectiveSeries: numeric values of the objective in time order', () => {
  const points = [
    pt('loss', '0.9', '2024-01-01T00:00:01Z'),
    pt('accuracy', '0.5', '2024-01-01T00:00:01Z'),
    pt('loss', '0.7', '2024-01-01T00:00:02Z'),
    pt('loss', 'oops', '2024-01-01T00:00:03Z'),
    pt('loss', '-1e-3', '2024-01-01T00:00:04Z'),
    pt('loss', '0.8', '2024-01-01T00:00:01.5Z'),
  ];
  assert.deepEqual(objectiveSeries(points, 'loss'), [0.9, 0.8, 0.7, -0.001]);
  assert.deepEqual(objectiveSeries([pt('loss', '3'), pt('loss', '1'), pt('loss', '2')], 'loss'), [3, 1, 2], 'no times: as reported');
  assert.deepEqual(objectiveSeries(points, 'f1'), []);
});

test('numbers and times as Go reads them', () => {
  for (const [s, n] of [['0.5', 0.5], ['.98', 0.98], ['-7.53e-05', -7.53e-5], ['1E0', 1], ['+3', 3], ['5.', 5], ['inf', Infinity], ['-Infinity', -Infinity]] as const) {
    assert.equal(metricNumber(s), n, s);
  }
  assert.ok(Number.isNaN(metricNumber('NaN')));
  for (const s of ['', 'unavailable', '0x10', '1e400', ' 1', '1,5', '-', '.']) assert.equal(metricNumber(s), undefined, s);
  assert.equal(parseMetricTime(ZERO_TIME), -62135596800n * 1_000_000_000n);
  assert.equal(parseMetricTime('1970-01-01T00:00:00.000000001Z'), 1n);
  assert.equal(parseMetricTime('1970-01-01T01:00:00+01:00'), 0n);
  assert.equal(parseMetricTime('2024-02-29T00:00:00Z'), 1709164800n * 1_000_000_000n);
  for (const s of ['2023-02-29T00:00:00Z', '2024-01-01 00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T00:00:00', '2024-13-01T00:00:00Z']) {
    assert.equal(parseMetricTime(s), undefined, s);
  }
});
