import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuantity, cpuMillis, formatBytes } from './quantity.js';

test('quantities parse with decimal and binary suffixes', () => {
  assert.equal(parseQuantity('512Mi'), 512 * 2 ** 20);
  assert.equal(parseQuantity('1G'), 1e9);
  assert.equal(parseQuantity('1.5'), 1.5);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.equal(cpuMillis('500m'), 500);
  assert.equal(cpuMillis('1.2'), 1200);
  assert.equal(cpuMillis(2), 2000);
  assert.equal(formatBytes(512 * 2 ** 20), '512Mi');
  assert.throws(() => parseQuantity('12 apples'), /quantities must match/);
});
