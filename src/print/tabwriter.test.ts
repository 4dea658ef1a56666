import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESCRIBE_OPTIONS, formatTable, Tabwriter, TABLE_OPTIONS } from './tabwriter.js';

test('tables pad each column to its widest cell plus 3, and leave the last column unpadded', () => {
  const out = formatTable([
    ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
    ['train', 'Complete', '1/1', '5s', '10s'],
    ['a-much-longer-name', 'Running', '0/1', '', '2m'],
  ]);
  assert.equal(
    out,
    'NAME                 STATUS     COMPLETIONS   DURATION   AGE\n' +
      'train                Complete   1/1           5s         10s\n' +
      'a-much-longer-name   Running    0/1                      2m\n',
  );
});

test('a column is at least 6 wide, as kubectl sets minwidth', () => {
  assert.equal(formatTable([['A', 'B'], ['x', 'y']]), 'A     B\nx     y\n');
});

test('wide characters count as one cell each', () => {
  assert.equal(formatTable([['NAME', 'X'], ['héllo', 'y']]), 'NAME    X\nhéllo   y\n');
});

test('describe output aligns each block of key/value lines on its own', () => {
  const text = 'Name:\ttrain\nNamespace:\tdefault\nPod Template:\n  Labels:\tjob-name=train\n  Containers:\n   main:\n    Image:\tpython\n    Port:\t<none>\n';
  assert.equal(
    new Tabwriter(DESCRIBE_OPTIONS).format(text),
    'Name:       train\nNamespace:  default\nPod Template:\n  Labels:  job-name=train\n  Containers:\n   main:\n    Image:  python\n    Port:   <none>\n',
  );
});

test('continuation lines (empty first cell) stay in their key block', () => {
  const text = 'Labels:\ta=b\n\tc=d\nAnnotations:\t<none>\n';
  assert.equal(new Tabwriter(DESCRIBE_OPTIONS).format(text), 'Labels:       a=b\n              c=d\nAnnotations:  <none>\n');
});

test('nested columns inside a block are aligned together', () => {
  const text = 'Events:\n  Type\tReason\tAge\n  ----\t------\t---\n  Normal\tCreated\t5s\n';
  assert.equal(new Tabwriter(DESCRIBE_OPTIONS).format(text), 'Events:\n  Type    Reason   Age\n  ----    ------   ---\n  Normal  Created  5s\n');
});

test('remembered widths keep later rows aligned with the first table and only grow', () => {
  const w = new Tabwriter({ ...TABLE_OPTIONS, rememberWidths: true });
  assert.equal(formatTable([['NAME', 'STATUS', 'AGE'], ['a', 'Running', '1s']], w), 'NAME   STATUS    AGE\na      Running   1s\n');
  assert.equal(formatTable([['b', 'Completed', '2s']], w), 'b      Completed   2s\n');
  assert.equal(formatTable([['c', 'Error', '3s']], w), 'c      Error       3s\n');
});
