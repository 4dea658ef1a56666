"""Optuna's side of `npm run bench:tuning -- --against optuna` (bench/tuning.ts runs it).

Reads one JSON spec on stdin and prints one JSON result on stdout:
  spec:   {"samplers": ["tpe-multivariate", "tpe-univariate"], "problems": ["branin", ...],
           "seeds": [1, 2, ...], "checkpoints": [50, 200],
           "latency": [["tpe-multivariate", 1000, 5], ["skopt-gp", 500, 2]]}  # [sampler, observations, repeats], optional
  result: {"version": "5.1.0",
           "runs": [{"sampler", "problem", "seed", "best": [the incumbent's true value at each checkpoint]}],
           "latency": [{"sampler", "observations", "cpu_ms", "wall_ms"}]}
The problems mirror bench/tuning.ts: same definitions, bounds, scales and categories.
"""

import json
import math
import random
import sys
import time
import warnings

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore")


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    b = 5.1 / (4 * math.pi**2)
    c = 5 / math.pi
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


H_ALPHA = [1.0, 1.2, 3.0, 3.2]
H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
       [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(p):
    x = [p[f"x{i}"] for i in range(6)]
    s = 0.0
    for i in range(4):
        inner = sum(H_A[i][j] * (x[j] - H_P[i][j] * 1e-4) ** 2 for j in range(6))
        s -= H_ALPHA[i] * math.exp(-inner)
    return s


def rosenbrock4(p):
    x = [p[f"x{i}"] for i in range(4)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3))


def ackley5(p):
    x = [p[f"x{i}"] for i in range(5)]
    n = len(x)
    s1 = sum(v * v for v in x) / n
    s2 = sum(math.cos(2 * math.pi * v) for v in x) / n
    return -20 * math.exp(-0.2 * math.sqrt(s1)) - math.exp(s2) + 20 + math.e


BEST_LR = {"sgd": -1.5, "adam": -3.3, "rmsprop": -2.7}
OFFSET = {"sgd": 0.25, "adam": 0.0, "rmsprop": 0.1}


def mixed(p):
    o = p["optimizer"]
    return (OFFSET[o] + 0.4 * (math.log10(p["lr"]) - BEST_LR[o]) ** 2 + 0.05 * (p["layers"] - 5) ** 2
            + 2 * (p["dropout"] - 0.25) ** 2 + 0.1 * (math.log2(int(p["batch_size"])) - 6) ** 2)


def floats(names, low, high):
    return {n: optuna.distributions.FloatDistribution(low, high) for n in names}


# Katib treats a discrete list as categories, and so does Drover: batch_size is categorical here too.
PROBLEMS = {
    "branin": (branin, {"x1": optuna.distributions.FloatDistribution(-5, 10),
                        "x2": optuna.distributions.FloatDistribution(0, 15)}),
    "hartmann6": (hartmann6, floats([f"x{i}" for i in range(6)], 0, 1)),
    "rosenbrock4": (rosenbrock4, floats([f"x{i}" for i in range(4)], -5, 10)),
    "ackley5": (ackley5, floats([f"x{i}" for i in range(5)], -32.768, 32.768)),
    "mixed": (mixed, {
        "optimizer": optuna.distributions.CategoricalDistribution(["sgd", "adam", "rmsprop"]),
        "lr": optuna.distributions.FloatDistribution(1e-5, 1, log=True),
        "layers": optuna.distributions.IntDistribution(1, 8),
        "dropout": optuna.distributions.FloatDistribution(0, 0.8),
        "batch_size": optuna.distributions.CategoricalDistribution(["16", "32", "64", "128", "256"]),
    }),
}


# Noise sd per problem: the sampler sees f + N(0, sd²); the result is f at the incumbent.
NOISE = {"hartmann6-noisy": 0.1}
PROBLEMS["hartmann6-noisy"] = PROBLEMS["hartmann6"]


def sampler_of(name, seed):
    if name == "tpe-multivariate":
        return optuna.samplers.TPESampler(seed=seed)  # Optuna 5's default: multivariate
    if name == "tpe-univariate":
        return optuna.samplers.TPESampler(seed=seed, multivariate=False)
    if name == "cmaes":
        # Categorical parameters fall back to its independent (random) sampler, as Drover's do.
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    raise ValueError(f"unknown sampler {name}")


def run(sampler_name, problem, seed, checkpoints):
    f, space = PROBLEMS[problem]
    study = optuna.create_study(sampler=sampler_of(sampler_name, seed))
    noise = random.Random(seed)
    sd = NOISE.get(problem, 0.0)
    best_observed = incumbent = math.inf
    out = []
    for t in range(max(checkpoints)):
        trial = study.ask(space)  # sequential ask/tell: one trial at a time
        truth = f(trial.params)
        observed = truth + sd * noise.gauss(0.0, 1.0) if sd else truth
        study.tell(trial, observed)
        if observed < best_observed:
            best_observed, incumbent = observed, truth
        if t + 1 in checkpoints:
            out.append(incumbent)
    return out


def random_history(observations):
    """A Hartmann-6 history of random points (the same kind Drover's side times on)."""
    f, space = PROBLEMS["hartmann6"]
    rnd = random.Random(99)
    points = [{f"x{i}": rnd.random() for i in range(6)} for _ in range(observations)]
    return f, space, points, [f(p) for p in points]


def latency(sampler_name, observations, repeats):
    """CPU and wall ms of one suggestion from a fresh sampler told the whole history."""
    f, space, points, values = random_history(observations)
    cpu = wall = 0.0
    # Round −1 is untimed: lazy imports and first-call caches are not the sampler's cost.
    for r in range(-1, repeats):
        if sampler_name == "skopt-gp":
            # Katib's bayesianoptimization service: skopt's Optimizer with a GP. tell() fits the
            # model and optimises the acquisition; ask() then hands out the point.
            import skopt
            opt = skopt.Optimizer([(0.0, 1.0)] * 6, base_estimator="GP", acq_func="gp_hedge",
                                  acq_optimizer="auto", n_initial_points=10, random_state=r + 2)
            xs = [[p[f"x{i}"] for i in range(6)] for p in points]
            opt.tell(xs[:-1], values[:-1], fit=False)
            c0, w0 = time.process_time(), time.perf_counter()
            opt.tell(xs[-1], values[-1])
            opt.ask()
        else:
            trials = [optuna.trial.create_trial(params=p, distributions=space, value=v)
                      for p, v in zip(points, values)]
            study = optuna.create_study(sampler=sampler_of(sampler_name, r + 2))
            study.add_trials(trials)
            c0, w0 = time.process_time(), time.perf_counter()
            trial = study.ask(space)
        if r >= 0:
            cpu += time.process_time() - c0
            wall += time.perf_counter() - w0
    return {"sampler": sampler_name, "observations": observations,
            "cpu_ms": 1000 * cpu / repeats, "wall_ms": 1000 * wall / repeats}


def main():
    spec = json.load(sys.stdin)
    checkpoints = spec["checkpoints"]
    runs = []
    for s in spec["samplers"]:
        for p in spec["problems"]:
            for seed in spec["seeds"]:
                runs.append({"sampler": s, "problem": p, "seed": seed, "best": run(s, p, seed, checkpoints)})
    lat = [latency(s, n, r) for s, n, r in spec.get("latency", [])]
    json.dump({"version": optuna.__version__, "runs": runs, "latency": lat}, sys.stdout)


if __name__ == "__main__":
    main()
