#!/usr/bin/env python3
"""Checks that hpo's SQLite storage is an Optuna 5.0 storage, both ways.

(a) `hpo run studies/quickstart.yaml` into a fresh file; `optuna.load_study` must see every trial with the same
    number, state, params and value as `hpo trials --format json`, and the same best trial as `hpo best --json`.
(b) Optuna creates a study and runs a few trials; `hpo run` on a study file with the same name and space must
    continue it: numbers dense and unique, `budget.n_trials` counting Optuna's trials, Optuna's trials unchanged;
    then Optuna must load the result and add a trial itself.

Environment:
  HPO_BIN          the hpo binary (default: .build/debug/hpo in the repository)
  OPTUNA_PYTHON    a Python that has optuna==5.0.0 (for example a venv's bin/python); used when the Python running
                   this script cannot import optuna. Without one the check prints "skipped: optuna not installed"
                   and exits 0.
Exit status: 0 when every check passed (or was skipped), 1 otherwise.
"""

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def import_optuna_or_reexec():
    try:
        import optuna  # noqa: F401

        return optuna
    except ImportError:
        pass
    other = os.environ.get("OPTUNA_PYTHON") or os.environ.get("HPO_OPTUNA_PYTHON")
    if other and not os.environ.get("HPO_INTEROP_REEXEC"):
        candidate = Path(other)
        if candidate.is_dir():
            candidate = candidate / "bin" / "python"
        if candidate.exists():
            env = dict(os.environ, HPO_INTEROP_REEXEC="1")
            os.execve(str(candidate), [str(candidate), __file__, *sys.argv[1:]], env)
    print("skipped: optuna not installed (set OPTUNA_PYTHON to a Python that has optuna==5.0.0)")
    sys.exit(0)


optuna = import_optuna_or_reexec()
optuna.logging.set_verbosity(optuna.logging.WARNING)

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)
    return condition


def hpo_binary():
    path = Path(os.environ.get("HPO_BIN") or REPO / ".build" / "debug" / "hpo")
    if not path.exists():
        print(f"error: no hpo binary at {path} (build it with `swift build`, or set HPO_BIN)")
        sys.exit(1)
    return str(path)


def hpo(*args):
    result = subprocess.run([HPO, *args], cwd=REPO, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"error: hpo {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
        sys.exit(1)
    return result.stdout


def same_number(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b
    return a == b


def same_params(optuna_params, hpo_params):
    if set(optuna_params) != set(hpo_params):
        return False
    return all(same_number(optuna_params[k], hpo_params[k]) for k in optuna_params)


def compare_trials(study, url, name):
    listed = json.loads(hpo("trials", name, "--storage", url, "--format", "json"))
    by_number = {t["number"]: t for t in listed}
    check(len(listed) == len(study.trials), f"{name}: hpo lists {len(listed)} trials, Optuna loads {len(study.trials)}")
    for trial in study.trials:
        mine = by_number.get(trial.number)
        if not check(mine is not None, f"{name}: trial {trial.number} missing from `hpo trials`"):
            continue
        check(mine["state"].upper() == trial.state.name, f"{name} #{trial.number}: state {mine['state']} vs {trial.state.name}")
        check(same_params(trial.params, mine["params"]), f"{name} #{trial.number}: params {mine['params']} vs {trial.params}")
        check(same_number(trial.value, mine.get("value")), f"{name} #{trial.number}: value {mine.get('value')} vs {trial.value}")
    return listed


def check_best(study, url, name):
    best = json.loads(hpo("best", name, "--storage", url, "--json"))
    expected = study.best_trial
    check(best["trial"] == expected.number, f"{name}: hpo best is #{best['trial']}, Optuna's #{expected.number}")
    check(same_number(best["value"], expected.value), f"{name}: best value {best['value']} vs {expected.value}")
    check(same_params(expected.params, best["params"]), f"{name}: best params {best['params']} vs {expected.params}")
    check(best["state"].upper() == "COMPLETE", f"{name}: best state {best['state']}")
    duration = (expected.datetime_complete - expected.datetime_start).total_seconds()
    check(abs(best["duration_s"] - duration) < 1e-3, f"{name}: best duration {best['duration_s']} vs {duration}")


def part_a(folder):
    url = f"sqlite:///{folder}/q.db"
    hpo("run", "studies/quickstart.yaml", "--storage", url)
    study = optuna.load_study(study_name="quickstart", storage=url)
    listed = compare_trials(study, url, "quickstart")
    check_best(study, url, "quickstart")
    print(f"(a) quickstart: {len(listed)} trials agree; best #{study.best_trial.number} = {study.best_value}")


STUDY_FILE = """name: interop-continue
description: A study begun by Optuna and continued by hpo.
direction: minimize
sampler: {type: random, seed: 7}
trainer: {type: function, objective: sphere}
budget: {n_trials: %d, workers: 2}
space:
  x: {type: float, low: -5.0, high: 5.0}
  lr: {type: float, low: 0.0001, high: 1.0, log: true}
  n: {type: int, low: 1, high: 10}
  k: {type: int, low: 2, high: 16, step: 2}
  opt: {type: categorical, choices: [adam, sgd]}
"""


def objective(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    n = trial.suggest_int("n", 1, 10)
    k = trial.suggest_int("k", 2, 16, step=2)
    trial.suggest_categorical("opt", ["adam", "sgd"])
    return x * x + lr * lr + n * n + k * k


def part_b(folder):
    url = f"sqlite:///{folder}/continue.db"
    optuna_trials, total = 5, 12
    study = optuna.create_study(
        study_name="interop-continue", storage=url, direction="minimize", sampler=optuna.samplers.RandomSampler(seed=3)
    )
    study.optimize(objective, n_trials=optuna_trials)
    before = {t.number: (t.params, t.value) for t in study.trials}
    study_file = Path(folder) / "interop-continue.yaml"
    study_file.write_text(STUDY_FILE % total)
    hpo("run", str(study_file), "--storage", url)

    study = optuna.load_study(study_name="interop-continue", storage=url)
    numbers = sorted(t.number for t in study.trials)
    check(numbers == list(range(len(numbers))), f"(b) numbers are not dense and unique: {numbers}")
    finished = [t for t in study.trials if t.state.is_finished()]
    check(len(finished) == total, f"(b) {len(finished)} finished trials, budget.n_trials is {total}")
    check(
        not any(t.state == optuna.trial.TrialState.RUNNING for t in study.trials), "(b) a RUNNING trial was left behind"
    )
    for number, (params, value) in before.items():
        trial = study.trials[number]
        check(trial.params == params and same_number(trial.value, value), f"(b) Optuna's trial {number} changed")
    compare_trials(study, url, "interop-continue")
    check_best(study, url, "interop-continue")
    # Optuna continues the study hpo wrote: same distributions, so suggest_* accepts the stored rows.
    study.optimize(objective, n_trials=1)
    check(study.trials[-1].number == total, f"(b) Optuna's next trial is #{study.trials[-1].number}, not {total}")
    print(f"(b) continued: Optuna ran {optuna_trials}, hpo added {total - optuna_trials}, Optuna added #{total}")


HPO = hpo_binary()
print(f"optuna {optuna.__version__}, hpo {HPO}")
if not optuna.__version__.startswith("5."):
    print(f"warning: the storage format is checked against Optuna 5.0; this is {optuna.__version__}")
with tempfile.TemporaryDirectory(prefix="hpo-interop-") as tmp:
    part_a(tmp)
    part_b(tmp)
if failures:
    print(f"{len(failures)} interoperability checks failed")
    sys.exit(1)
print("interoperability with Optuna: all checks passed")
