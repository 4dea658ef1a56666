/**
 * Drover's multivariate TPE builds the same Parzen estimators as Optuna's TPESampler (the
 * version pinned in test/python/requirements.txt): on one history, log l(x) − log g(x) — what
 * ranks the candidates — agrees to 1e-9 at every probe point, over a space with a plain, a
 * log-scaled and a categorical parameter. Optuna runs for real, in the clients' venv.
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
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import default_gamma, default_weights
spec = json.load(sys.stdin)
space = {"x": FloatDistribution(-5, 10), "lr": FloatDistribution(1e-5, 1, log=True),
         "opt": CategoricalDistribution(["sgd", "adam", "rmsprop"])}
trials = spec["trials"]
n_below = default_gamma(len(trials))
order = sorted(range(len(trials)), key=lambda i: (trials[i]["value"], i))
below, above = sorted(order[:n_below]), sorted(order[n_below:])
params = _ParzenEstimatorParameters(prior_weight=1.0, consider_magic_clip=True, consider_endpoints=False,
                                    weights=default_weights, multivariate=True)
def obs(idx):
    return {"x": np.array([trials[i]["x"] for i in idx]), "lr": np.array([trials[i]["lr"] for i in idx]),
            "opt": np.array([["sgd", "adam", "rmsprop"].index(trials[i]["opt"]) for i in idx], dtype=float)}
l, g = _ParzenEstimator(obs(below), space, params), _ParzenEstimator(obs(above), space, params)
probes = {k: np.array([p[k] for p in spec["probes"]]) for k in ("x", "lr")}
probes["opt"] = np.array([["sgd", "adam", "rmsprop"].index(p["opt"]) for p in spec["probes"]], dtype=float)
json.dump({"acquisition": (l.log_pdf(probes) - g.log_pdf(probes)).tolist()}, sys.stdout)
`;

test('multivariate TPE ranks candidates exactly as Optuna does: log l(x) − log g(x) on the same history', { skip }, () => {
  const parameters: ParameterSpec[] = [
    { name: 'x', parameterType: 'double', feasibleSpace: { min: '-5', max: '10' } },
    { name: 'lr', parameterType: 'double', feasibleSpace: { min: '1e-5', max: '1', distribution: 'logUniform' } },
    { name: 'opt', parameterType: 'categorical', feasibleSpace: { list: ['sgd', 'adam', 'rmsprop'] } },
  ];
  const choices = ['sgd', 'adam', 'rmsprop'];
  // 60 trials (so the bad group's older trials are down-weighted too): a deterministic scatter.
  const trials = Array.from({ length: 60 }, (_, i) => {
    const x = -5 + 15 * ((i * 0.618034) % 1);
    const lr = 10 ** (-5 * ((i * 0.414214 + 0.1) % 1));
    const opt = choices[(i * 7) % 3]!;
    return { x, lr, opt, value: (x - 2) ** 2 / 10 + (Math.log10(lr) + 3) ** 2 + (opt === 'adam' ? 0 : 0.5) };
  });
  const probes = Array.from({ length: 12 }, (_, i) => ({ x: -4.5 + i * 1.3, lr: 10 ** (-4.8 + i * 0.4), opt: choices[i % 3]! }));
  const space = Space.of(parameters);
  const history = new History(space, {
    parameters,
    objectiveType: 'minimize',
    completed: trials.map((t) => ({ assignments: { x: String(t.x), lr: String(t.lr), opt: t.opt }, value: t.value })),
    pending: [],
    count: 1,
  });
  const points = probes.map((p) => space.fromAssignments({ x: String(p.x), lr: String(p.lr), opt: p.opt })!);
  const ours = parzenLogDensities(history, { nStartup: 10, nCandidates: 24, gamma: undefined, priorWeight: 1, multivariate: true }, points);
  const out = execFileSync(PYTHON, ['-c', OPTUNA_SIDE], { input: JSON.stringify({ trials, probes }), encoding: 'utf8' });
  const theirs = (JSON.parse(out) as { acquisition: number[] }).acquisition;
  probes.forEach((p, i) => {
    const mine = ours.good[i]! - ours.bad[i]!;
    assert.ok(Math.abs(mine - theirs[i]!) < 1e-9, `probe ${JSON.stringify(p)}: Drover ${mine}, Optuna ${theirs[i]}`);
  });
});
