import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../api/types.js';
import { renderTable } from '../../../cli/printers.js';
import { ago, failedExperiment, metric, MINIMIZE, NOW, runningExperiment, succeededExperiment, trial } from './testing.js';

test('get experiments: phase, best objective, running/succeeded/failed trials', () => {
  const fresh: KubeObject = { ...succeededExperiment(), metadata: { name: 'fresh', namespace: 'default', creationTimestamp: ago(2000) }, status: undefined };
  assert.equal(
    renderTable('Experiment', [runningExperiment(), succeededExperiment(), fresh], { now: NOW }),
    [
      'NAME    STATUS      BEST              TRIALS (R/S/F)   AGE',
      'fresh   Created     <none>            0/0/0            2s',
      'sweep   Succeeded   loss=0.2145       0/10/1           120m',
      'tune    Running     accuracy=0.9312   2/6/1            5m',
      '',
    ].join('\n'),
  );
});

test('get experiments -o wide: done/max, the reason and the best trial', () => {
  const unbounded = runningExperiment();
  unbounded.metadata.name = 'open';
  delete (unbounded['spec'] as { maxTrialCount?: number }).maxTrialCount;
  assert.equal(
    renderTable('Experiment', [runningExperiment(), succeededExperiment(), failedExperiment(), unbounded], { now: NOW, wide: true }),
    [
      'NAME     STATUS      BEST              TRIALS (R/S/F)   AGE    DONE/MAX   REASON                       BEST TRIAL',
      'broken   Failed      <none>            0/0/4            10m    4/12       ExperimentFailed             <none>',
      'open     Running     accuracy=0.9312   2/6/1            5m     7/-        ExperimentRunning            tune-ab12cd34',
      'sweep    Succeeded   loss=0.2145       0/10/1           120m   12/12      ExperimentMaxTrialsReached   sweep-9f8e7d6c',
      'tune     Running     accuracy=0.9312   2/6/1            5m     7/12       ExperimentRunning            tune-ab12cd34',
      '',
    ].join('\n'),
  );
});

test('get trials (maximize): best first, then trials without a value by creation', () => {
  const trials = [
    trial('tune-aaaa', 'lr=0.01,layers=2', { metrics: [metric('accuracy', '0.8', '0.91', '0.9'), metric('loss', '0.3', '0.5', '0.31')] }),
    trial('tune-bbbb', 'lr=0.05,layers=3', { phase: 'Running', createdMsAgo: 30_000 }),
    trial('tune-cccc', 'lr=0.0123,layers=3', { metrics: [metric('accuracy', '0.88', '0.9312', '0.93')] }),
    trial('tune-dddd', 'lr=0.09,layers=5', { phase: 'Failed', createdMsAgo: 200_000 }),
    // max was never reported: ranked by its latest value.
    trial('tune-eeee', 'lr=0.002,layers=4', { metrics: [metric('accuracy', 'unavailable', 'unavailable', '0.95')] }),
    trial('tune-ffff', 'lr=0.003,layers=2', { phase: 'Pending', createdMsAgo: 10_000 }),
  ];
  assert.equal(
    renderTable('Trial', trials, { now: NOW }),
    [
      'NAME        STATUS      OBJECTIVE         PARAMETERS           AGE',
      'tune-eeee   Succeeded   accuracy=0.95     lr=0.002,layers=4    2m',
      'tune-cccc   Succeeded   accuracy=0.9312   lr=0.0123,layers=3   2m',
      'tune-aaaa   Succeeded   accuracy=0.91     lr=0.01,layers=2     2m',
      'tune-dddd   Failed      <none>            lr=0.09,layers=5     3m20s',
      'tune-bbbb   Running     <none>            lr=0.05,layers=3     30s',
      'tune-ffff   Pending     <none>            lr=0.003,layers=2    10s',
      '',
    ].join('\n'),
  );
  assert.equal(
    renderTable('Trial', trials.slice(0, 3), { now: NOW, wide: true }),
    [
      'NAME        STATUS      OBJECTIVE         PARAMETERS           AGE   EXPERIMENT   METRICS',
      'tune-cccc   Succeeded   accuracy=0.9312   lr=0.0123,layers=3   2m    tune         <none>',
      'tune-aaaa   Succeeded   accuracy=0.91     lr=0.01,layers=2     2m    tune         loss=0.31',
      'tune-bbbb   Running     <none>            lr=0.05,layers=3     30s   tune         <none>',
      '',
    ].join('\n'),
  );
});

test('get trials (minimize): lowest min first; ties in creation order; experiments stay apart', () => {
  const opts = (metrics: ReturnType<typeof metric>[], createdMsAgo = 120_000) => ({ objective: MINIMIZE, experiment: 'sweep', metrics, createdMsAgo });
  const trials = [
    trial('sweep-1', 'lr=0.01', opts([metric('loss', '0.40', '0.9', '0.41'), metric('recall', '0.5', '0.7', '0.66')])),
    trial('sweep-2', 'lr=0.05', opts([metric('loss', '0.2145', '0.9', '0.2301')])),
    trial('sweep-4', 'lr=0.07', opts([metric('loss', '0.40', '0.8', '0.40')], 60_000)),
    trial('sweep-3', 'lr=0.09', opts([metric('loss', '0.40', '0.8', '0.40')], 90_000)),
    trial('tune-1', 'lr=0.5', { metrics: [metric('accuracy', '0.1', '0.2', '0.2')] }),
  ];
  assert.equal(
    renderTable('Trial', trials, { now: NOW, wide: true }),
    [
      'NAME      STATUS      OBJECTIVE      PARAMETERS   AGE   EXPERIMENT   METRICS',
      'sweep-2   Succeeded   loss=0.2145    lr=0.05      2m    sweep        <none>',
      'sweep-1   Succeeded   loss=0.4       lr=0.01      2m    sweep        recall=0.5',
      'sweep-3   Succeeded   loss=0.4       lr=0.09      90s   sweep        <none>',
      'sweep-4   Succeeded   loss=0.4       lr=0.07      60s   sweep        <none>',
      'tune-1    Succeeded   accuracy=0.2   lr=0.5       2m    tune         <none>',
      '',
    ].join('\n'),
  );
});
