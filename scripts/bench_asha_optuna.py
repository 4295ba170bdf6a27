#!/usr/bin/env python3
"""The `curve` objective of `hpo-bench asha`, run by Optuna 5.0: TPESampler with SuccessiveHalvingPruner (ASHA)
against the same study without pruning, seed by seed, printing the figures `hpo-bench asha --summary` prints.

The objective is the one `docs/trainers.md` defines (HPOTraining's `LearningCurve`): x, y in [-3, 3] and a
log-uniform rate in [1e-4, 1] scaled to unit coordinates u, a report per step t = 1..T of

    loss(t) = 0.1 + gap(u) + exp(-t / tau(u)) + noise * N(0, 1)

with the same centres and speeds. The Gaussian noise comes from numpy, seeded by (seed, trial number), so single
reports differ from hpo-bench's; the distributions are the same. A trial's value is its last report, and pruned
trials are PRUNED with that value, as in hpo.

Comparisons (as in `hpo-bench asha`):
  same trials    ASHA runs as many trials as the no-pruning run
  equal compute  ASHA asks trials until it has spent 40 % of the no-pruning run's steps
  control        no pruning against no pruning with another sampler seed and other noise: how often an equally
                 good method lands within the tolerance by chance (the resolution of the per-seed test)

    ../bench-venv/bin/python scripts/bench_asha_optuna.py --seeds 1-10
    ../bench-venv/bin/python scripts/bench_asha_optuna.py --seeds 100-299 --min-resource 3 --noise 0
"""

import argparse
import math
import sys

import numpy as np
import optuna

FLOOR = 0.1
GOLDEN = 0.6180339887498949


def centre(index):
    return 0.25 + 0.5 * math.fmod((index + 1) * GOLDEN, 1.0)


class Curve:
    def __init__(self, units, steps):
        diffs = [u - centre(i) for i, u in enumerate(units)]
        gap = sum(d * d for d in diffs) / len(units)
        self.asymptote = FLOOR + gap
        speed = min(max(0.5 + sum(diffs) / len(units) - 2 * gap, 0.0), 1.0)
        self.time_scale = steps / (2 * 20.0**speed)

    def value(self, step):
        return self.asymptote + math.exp(-step / self.time_scale)


def units_of(params):
    rate = (math.log(params["rate"]) - math.log(1e-4)) / (math.log(1.0) - math.log(1e-4))
    return [(params["x"] + 3) / 6, (params["y"] + 3) / 6, rate]


def run_study(seed, args, pruner, trial_limit=None, step_limit=None, noise_stream=0):
    sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(direction="minimize", sampler=sampler, pruner=pruner)
    spent = [0]

    def objective(trial):
        params = {
            "x": trial.suggest_float("x", -3, 3),
            "y": trial.suggest_float("y", -3, 3),
            "rate": trial.suggest_float("rate", 1e-4, 1, log=True),
        }
        curve = Curve(units_of(params), args.steps)
        rng = np.random.default_rng([seed, trial.number, noise_stream])
        value = float("nan")
        for step in range(1, args.steps + 1):
            value = curve.value(step) + args.noise * rng.standard_normal()
            spent[0] += 1
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    number = 0
    limit = trial_limit if trial_limit is not None else args.trials
    while number < limit and (step_limit is None or spent[0] < step_limit):
        study.optimize(objective, n_trials=1)
        number += 1
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = min(complete, key=lambda t: t.value) if complete else None
    return {
        "best": best.value if best else None,
        "true": Curve(units_of(best.params), args.steps).value(args.steps) if best else None,
        "steps": spent[0],
        "trials": len(study.trials),
        "pruned": sum(1 for t in study.trials if t.state == optuna.trial.TrialState.PRUNED),
    }


def parse_seeds(text):
    if "-" in text:
        low, high = text.split("-")
        return list(range(int(low), int(high) + 1))
    return list(range(1, int(text) + 1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="10", help="N (seeds 1..N) or A-B")
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--steps", type=int, default=27)
    parser.add_argument("--noise", type=float, default=0.01)
    parser.add_argument("--min-resource", type=int, default=1)
    parser.add_argument("--reduction-factor", type=int, default=3)
    parser.add_argument("--tolerance", type=float, default=0.02)
    parser.add_argument("--step-share", type=float, default=0.40)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seeds = parse_seeds(args.seeds)

    def asha():
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=args.min_resource, reduction_factor=args.reduction_factor, min_early_stopping_rate=0
        )

    rows = {"same trials": [], "equal compute": [], "control": []}
    for seed in seeds:
        full = run_study(seed, args, optuna.pruners.NopPruner())
        rows["same trials"].append((full, run_study(seed, args, asha())))
        budget = int(full["steps"] * args.step_share)
        rows["equal compute"].append((full, run_study(seed, args, asha(), trial_limit=10**9, step_limit=budget)))
        rows["control"].append((full, run_study(seed + 1_000_003, args, optuna.pruners.NopPruner(), noise_stream=1)))
        print(f"seed {seed} done", file=sys.stderr)

    print(
        f"Optuna {optuna.__version__} TPESampler, curve objective, 3 dims, {args.trials} trials x {args.steps} steps, "
        f"noise {args.noise}; SuccessiveHalvingPruner min_resource {args.min_resource}, reduction_factor "
        f"{args.reduction_factor}; seeds {seeds[0]}-{seeds[-1]}"
    )
    for name, pairs in rows.items():
        gaps = [(b["best"] - a["best"]) / abs(a["best"]) for a, b in pairs if a["best"] and b["best"]]
        true_gaps = [(b["true"] - a["true"]) / abs(a["true"]) for a, b in pairs if a["true"] and b["true"]]
        shares = [b["steps"] / a["steps"] for a, b in pairs]
        limit_share = name == "same trials"
        within = sum(
            1
            for (a, b), share in zip(pairs, shares)
            if a["best"] and b["best"]
            and (b["best"] - a["best"]) / abs(a["best"]) <= args.tolerance
            and (not limit_share or share <= args.step_share)
        )
        true_within = sum(1 for g in true_gaps if g <= args.tolerance)
        mean_true = lambda key: sum(p[key]["true"] for p in [dict(a=a, b=b) for a, b in pairs] if p[key]["true"]) / len(pairs)
        print(
            f"{name}: mean true value of best {mean_true('a'):.5f} (no pruning) / {mean_true('b'):.5f}; "
            f"mean gap {100 * sum(gaps) / len(gaps):+.2f} %, mean true gap {100 * sum(true_gaps) / len(true_gaps):+.2f} %, "
            f"mean step share {100 * sum(shares) / len(shares):.1f} %; {within}/{len(pairs)} seeds within "
            f"{100 * args.tolerance:.0f} %" + (f" using <= {100 * args.step_share:.0f} % of its steps" if limit_share else "")
            + f"; true value within {100 * args.tolerance:.0f} % on {true_within}/{len(pairs)}"
        )


if __name__ == "__main__":
    main()
