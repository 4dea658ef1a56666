import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../api/types.js';
import { describe } from '../../../cli/describe.js';
import { feasibleSpace } from './describe.js';
import { ago, metric, NOW, runningExperiment, succeededExperiment, trial } from './testing.js';

const event = (reason: string, message: string, msAgo: number): KubeObject => ({
  apiVersion: 'v1', kind: 'Event', metadata: { name: `e-${reason}` }, type: 'Normal', reason, message,
  firstTimestamp: ago(msAgo), lastTimestamp: ago(msAgo), count: 1, source: { component: 'experiment-controller' },
});

test('describe experiment: algorithm, objective, space, limits, status, counts, best trial and events', () => {
  const out = describe(runningExperiment(), {
    events: [event('TrialCreated', 'Created trial tune-ab12cd34', 200_000), event('ExperimentRunning', 'Experiment is running', 280_000)],
    now: NOW, tzOffsetMinutes: 0,
  });
  assert.equal(out, [
    'Name:            tune',
    'Namespace:       default',
    'Labels:          team=ml',
    'Annotations:     <none>',
    'Algorithm:       bayesianoptimization',
    '  Settings:      random_state=10',
    '                 n_initial_points=4',
    'Early Stopping:  medianstop',
    '  Settings:      min_trials_required=3',
    'Objective:',
    '  Type:                maximize',
    '  Metric:              accuracy',
    '  Goal:                0.99',
    '  Additional Metrics:  loss',
    '  Metric Strategies:   accuracy=max, loss=latest',
    'Search Space:',
    '  lr:               double [0.001, 0.1] logUniform',
    '  layers:           int [2, 5] step 1',
    '  optimizer:        categorical {sgd, adam}',
    'Parallel Trials:    3',
    'Max Trials:         12',
    'Max Failed Trials:  3',
    'Resume Policy:      LongRunning',
    'Start Time:         Mon, 01 Jan 2024 00:55:10 +0000',
    'Duration:           4m50s',
    'Status:             Running',
    'Reason:             ExperimentRunning',
    'Message:            Experiment is running',
    'Conditions:',
    '  Type     Status  Reason             Message',
    '  ----     ------  ------             -------',
    '  Created  True    ExperimentCreated  Experiment is created',
    '  Running  True    ExperimentRunning  Experiment is running',
    'Trials:',
    '  Total:                10',
    '  Pending:              1',
    '  Running:              2',
    '  Succeeded:            6',
    '  Failed:               1',
    '  Killed:               0',
    '  Early Stopped:        0',
    '  Metrics Unavailable:  0',
    'Best Trial:             tune-ab12cd34',
    '  Objective:            accuracy=0.9312',
    '  Parameters:',
    '    lr:         0.0123',
    '    layers:     3',
    '    optimizer:  adam',
    '  Metrics:',
    '    Name      Min     Max     Latest',
    '    ----      ---     ---     ------',
    '    accuracy  0.8811  0.9312  0.9299',
    '    loss      0.2011  0.4402  0.2011',
    'Events:',
    '  Type    Reason             Age    From                   Message',
    '  ----    ------             ----   ----                   -------',
    '  Normal  ExperimentRunning  4m40s  experiment-controller  Experiment is running',
    '  Normal  TrialCreated       3m20s  experiment-controller  Created trial tune-ab12cd34',
    '',
  ].join('\n'));
});

test('describe a finished experiment: completion, reason and message; none best before any trial', () => {
  const out = describe(succeededExperiment(), { events: [], now: NOW, tzOffsetMinutes: 0 });
  assert.match(out, /\nCompletion Time:\s+Mon, 01 Jan 2024 00:00:00 \+0000\nDuration:\s+58m\nStatus:\s+Succeeded\nReason:\s+ExperimentMaxTrialsReached\nMessage:\s+Experiment has succeeded because max trial count has reached\n/);
  assert.match(out, /\n {2}Metric Strategies:\s+loss=min\n/, 'minimizing defaults the objective to its min');
  assert.match(out, /\nBest Trial:\s+sweep-9f8e7d6c\n {2}Objective:\s+loss=0\.2145\n {2}Parameters:\n {4}lr:\s+0\.042\n/);
  assert.match(out, /\nEvents:\s+<none>\n$/);

  const fresh = succeededExperiment();
  delete fresh['status'];
  const created = describe(fresh, { events: [], now: NOW });
  assert.match(created, /\nStatus:\s+Created\nConditions:\s+<none>\n/);
  assert.match(created, /\n {2}Total:\s+0\n/);
  assert.match(created, /\nBest Trial:\s+<none>\nEvents:\s+<none>\n$/);
});

test('describe trial: experiment, run, parameters, objective, conditions and observed metrics', () => {
  const t = trial('tune-aaaa', 'lr=0.01,layers=2', { metrics: [metric('accuracy', '0.8', '0.91', '0.9'), metric('loss', '0.3', '0.5', '0.31')] });
  assert.equal(describe(t, { events: [], now: NOW, tzOffsetMinutes: 0 }), [
    'Name:           tune-aaaa',
    'Namespace:      default',
    'Labels:         katib.kubeflow.org/experiment=tune',
    '                katib.kubeflow.org/trial=tune-aaaa',
    'Annotations:    <none>',
    'Controlled By:  Experiment/tune',
    'Experiment:     tune',
    'Run:            Job/tune-aaaa',
    'Parameters:',
    '  lr:      0.01',
    '  layers:  2',
    'Objective:',
    '  Type:                maximize',
    '  Metric:              accuracy',
    '  Goal:                0.99',
    '  Additional Metrics:  loss',
    '  Metric Strategies:   accuracy=max, loss=latest',
    'Start Time:            Mon, 01 Jan 2024 00:58:10 +0000',
    'Completion Time:       Mon, 01 Jan 2024 00:59:10 +0000',
    'Duration:              60s',
    'Status:                Succeeded',
    'Reason:                TrialSucceeded',
    'Message:               Trial has succeeded',
    'Conditions:',
    '  Type       Status  Reason          Message',
    '  ----       ------  ------          -------',
    '  Created    True    TrialCreated    Trial is created',
    '  Running    False   TrialRunning    Trial is running',
    '  Succeeded  True    TrialSucceeded  Trial has succeeded',
    'Observation:',
    '  Objective:  accuracy=0.91',
    '  Metrics:',
    '    Name      Min  Max   Latest',
    '    ----      ---  ---   ------',
    '    accuracy  0.8  0.91  0.9',
    '    loss      0.3  0.5   0.31',
    'Events:       <none>',
    '',
  ].join('\n'));
  const running = describe(trial('tune-bbbb', 'lr=0.05', { phase: 'Running' }), { events: [], now: NOW });
  assert.match(running, /\nStatus:\s+Running\n/);
  assert.match(running, /\nObservation:\s+<none>\n/);
});

test('search space entries', () => {
  assert.equal(feasibleSpace({ name: 'n', parameterType: 'discrete', feasibleSpace: { list: ['1', '2', '4'] } }), 'discrete {1, 2, 4}');
  assert.equal(feasibleSpace({ name: 'lr', parameterType: 'double', feasibleSpace: { min: '0.1', max: '1', step: '0.1' } }), 'double [0.1, 1] step 0.1');
});
