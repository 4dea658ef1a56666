/**
 * Drover's multivariate TPE builds the same Parzen estimators as Optuna's TPESampler (the
 * version pinned in test/python/requirements.txt): on one history, log l(x) − log g(x) — what
 * ranks the candidates — agrees to 1e-9 at every probe point, over a space with a plain, a
 * log-scaled, an int (scored by each kernel's mass over the value's bin) and a categorical
 * parameter. Optuna runs for real, in the clients' venv.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './drover.js';
import { History } from '../src/tuning/history.js';
import { Space } from '../src/tuning/space.js';
import { parzenLogDensities } from '../src/tuning/tpe.js';
import type { ParameterSpec } from '../src/tuning/types.js';

const PYTHON = execFileSync('bash', [join(REPO, 'scripts', 'python-clients.sh'), 'path'], { encoding: 'utf8' }).trim();
const skip = existsSync(PYTHON) ? undefined : `no Python clients at ${PYTHON}; install them with: bash scripts/python-clients.sh ensure`;

// Optuna's private estimator, fed the same split: the best ⌈0.1·n⌉ trials and the rest, in trial order.
const OPTUNA_SIDE = `
import json, sys, numpy as np
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import default_gamma, default_weights
spec = json.load(sys.stdin)
space = {"x": FloatDistribution(-5, 10), "lr": FloatDistribution(1e-5, 1, log=True),
         "layers": IntDistribution(1, 40), "opt": CategoricalDistribution(["sgd", "adam", "rmsprop"])}
space = {k: v for k, v in space.items() if k in spec["names"]}
trials = spec["trials"]
n_below = default_gamma(len(trials))
order = sorted(range(len(trials)), key=lambda i: (trials[i]["value"], i))
below, above = sorted(order[:n_below]), sorted(order[n_below:])
params = _ParzenEstimatorParameters(prior_weight=1.0, consider_magic_clip=True, consider_endpoints=False,
                                    weights=default_weights, multivariate=True)
def obs(idx):
    out = {k: np.array([float(trials[i][k]) for i in idx]) for k in ("x", "lr", "layers") if k in space}
    out["opt"] = np.array([["sgd", "adam", "rmsprop"].index(trials[i]["opt"]) for i in idx], dtype=float)
    return out
l, g = _ParzenEstimator(obs(below), space, params), _ParzenEstimator(obs(above), space, params)
probes = {k: np.array([p[k] for p in spec["probes"]], dtype=float) for k in ("x", "lr", "layers") if k in space}
probes["opt"] = np.array([["sgd", "adam", "rmsprop"].index(p["opt"]) for p in spec["probes"]], dtype=float)
json.dump({"acquisition": (l.log_pdf(probes) - g.log_pdf(probes)).tolist()}, sys.stdout)
`;

const PARAMETERS: ParameterSpec[] = [
  { name: 'x', parameterType: 'double', feasibleSpace: { min: '-5', max: '10' } },
  { name: 'lr', parameterType: 'double', feasibleSpace: { min: '1e-5', max: '1', distribution: 'logUniform' } },
  { name: 'layers', parameterType: 'int', feasibleSpace: { min: '1', max: '40' } },
  { name: 'opt', parameterType: 'categorical', feasibleSpace: { list: ['sgd', 'adam', 'rmsprop'] } },
];
const CHOICES = ['sgd', 'adam', 'rmsprop'];

/** Drover's and Optuna's log l(x) − log g(x) at 12 probes after `n` trials of a deterministic scatter. */
function compare(names: string[], n: number): void {
  const parameters = PARAMETERS.filter((p) => names.includes(p.name));
  const trials = Array.from({ length: n }, (_, i) => {
    const x = -5 + 15 * ((i * 0.618034) % 1);
    const lr = 10 ** (-5 * ((i * 0.414214 + 0.1) % 1));
    const layers = 1 + ((i * 7) % 40);
    const opt = CHOICES[(i * 7) % 3]!;
    return { x, lr, layers, opt, value: (x - 2) ** 2 / 10 + (Math.log10(lr) + 3) ** 2 + (names.includes('layers') ? (layers - 12) ** 2 / 50 : 0) + (opt === 'adam' ? 0 : 0.5) };
  });
  const probes = Array.from({ length: 12 }, (_, i) => ({ x: -4.5 + i * 1.3, lr: 10 ** (-4.8 + i * 0.4), layers: 1 + ((i * 3) % 40), opt: CHOICES[i % 3]! }));
  const assignments = (t: (typeof probes)[number]): Record<string, string> =>
    Object.fromEntries(names.map((k) => [k, String(t[k as keyof typeof t])]));
  const space = Space.of(parameters);
  const history = new History(space, {
    parameters,
    objectiveType: 'minimize',
    completed: trials.map((t) => ({ assignments: assignments(t), value: t.value })),
    pending: [],
    count: 1,
  });
  const points = probes.map((p) => space.fromAssignments(assignments(p))!);
  const ours = parzenLogDensities(history, { nStartup: 10, nCandidates: 24, gamma: undefined, priorWeight: 1, multivariate: true }, points);
  const out = execFileSync(PYTHON, ['-c', OPTUNA_SIDE], { input: JSON.stringify({ names, trials, probes }), encoding: 'utf8' });
  const theirs = (JSON.parse(out) as { acquisition: number[] }).acquisition;
  probes.forEach((p, i) => {
    const mine = ours.good[i]! - ours.bad[i]!;
    assert.ok(Math.abs(mine - theirs[i]!) < 1e-9, `probe ${JSON.stringify(p)}: Drover ${mine}, Optuna ${theirs[i]}`);
  });
}

test('multivariate TPE ranks candidates exactly as Optuna does: log l(x) − log g(x) on the same history', { skip }, () => {
  // 60 trials: the bad group's older trials are down-weighted (Optuna's ramp) too.
  compare(['x', 'lr', 'opt'], 60);
});

test('an int parameter is scored by each kernel\'s mass over its value\'s bin, as Optuna does', { skip }, () => {
  // Distinct ints (1..40, 27 trials, the kernels' floor wider than a bin): with repeated values,
  // which of two equal observations gets the wider kernel follows numpy's unstable sort order,
  // and in the joint product that pairing shows; Drover breaks such ties by trial order.
  compare(['x', 'lr', 'layers', 'opt'], 27);
});
