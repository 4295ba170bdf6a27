#!/usr/bin/env python3
"""Several processes on one SQLite study: hpo against Optuna 5.0.

For each process count (default 4, then 16) it starts that many `hpo run` processes at the same moment on one fresh
database, with `n_trials: 200`, one worker each and a trivial objective (the 2-D sphere, random sampler). It then
does the same with Optuna 5.0: the study is created first, then that many Python processes each run
`study.optimize` with `MaxTrialsCallback(200)` (Optuna's way to cap a total across processes) on one
`sqlite:///` file. For each tool it prints the wall time from the first start to the last exit, the combined
trials per second, the finished trials, and the errors (a non-zero exit, or "database is locked" in the output).

The Python with Optuna is taken from `$OPTUNA_PYTHON` (default `../bench-venv/bin/python`);
without it only hpo is measured. The hpo binary is `--hpo` or `$HPO_BIN`
(default `.build/debug/hpo`; a release build measures hpo's real speed).

Usage: scripts/bench_concurrency.py [--processes 4,16] [--trials 200] [--sampler random|tpe] [--skip-optuna]
"""

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

STUDY = """\
name: concurrent
direction: minimize
sampler: {{type: {sampler}, seed: 1}}
trainer: {{type: function, objective: sphere}}
budget: {{n_trials: {trials}, workers: 1}}
space:
  x: {{type: float, low: -5.0, high: 5.0}}
  y: {{type: float, low: -5.0, high: 5.0}}
"""

OPTUNA_WORKER = """
import sys, optuna
from optuna.study import MaxTrialsCallback
optuna.logging.set_verbosity(optuna.logging.WARNING)
url, trials, sampler_name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sampler = optuna.samplers.RandomSampler() if sampler_name == "random" else optuna.samplers.TPESampler()
study = optuna.load_study(study_name="concurrent", storage=url, sampler=sampler)
def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    return x * x + y * y
study.optimize(objective, callbacks=[MaxTrialsCallback(trials, states=None)])
"""

OPTUNA_CREATE = """
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
optuna.create_study(study_name="concurrent", storage=sys.argv[1], direction="minimize")
"""


def launch_all(commands, directory):
    """Starts every command at once; returns (seconds from first start to last exit, [(exit code, output)])."""
    started = time.perf_counter()
    processes = []
    for index, command in enumerate(commands):
        log = open(os.path.join(directory, f"worker-{index}.log"), "w+")
        processes.append((subprocess.Popen(command, cwd=directory, stdout=log, stderr=subprocess.STDOUT), log))
    results = []
    for process, log in processes:
        process.wait()
        log.seek(0)
        results.append((process.returncode, log.read()))
        log.close()
    return time.perf_counter() - started, results


def count_states(db):
    connection = sqlite3.connect(db, timeout=60)
    try:
        rows = connection.execute("SELECT number, state FROM trials").fetchall()
    finally:
        connection.close()
    states = {}
    for _, state in rows:
        states[state] = states.get(state, 0) + 1
    numbers = sorted(number for number, _ in rows)
    return states, numbers == list(range(len(numbers)))


def errors_in(results):
    failed = 0
    for code, output in results:
        if code != 0 or "database is locked" in output or "Traceback" in output:
            failed += 1
    return failed


def measure(tool, processes, arguments, python):
    directory = tempfile.mkdtemp(prefix=f"hpo-concurrency-{tool}-{processes}-")
    db = os.path.join(directory, "study.db")
    url = f"sqlite:///{db}"
    if tool == "hpo":
        study = os.path.join(directory, "study.yaml")
        with open(study, "w") as handle:
            handle.write(STUDY.format(trials=arguments.trials, sampler=arguments.sampler))
        command = [os.path.abspath(arguments.hpo), "run", study, "--storage", url]
        commands = [command] * processes
    else:
        subprocess.run([python, "-c", OPTUNA_CREATE, url], check=True)
        commands = [[python, "-c", OPTUNA_WORKER, url, str(arguments.trials), arguments.sampler]] * processes
    seconds, results = launch_all(commands, directory)
    states, dense = count_states(db)
    finished = states.get("COMPLETE", 0)
    row = {
        "tool": tool,
        "processes": processes,
        "seconds": seconds,
        "trials_per_second": finished / seconds if seconds > 0 else 0.0,
        "complete": finished,
        "states": states,
        "dense": dense,
        "errors": errors_in(results),
        "directory": directory,
    }
    for code, output in results:
        if code != 0:
            row["first_error"] = output.strip().splitlines()[-1:] if output.strip() else [f"exit {code}"]
            break
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="4,16")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--sampler", choices=["random", "tpe"], default="random")
    parser.add_argument("--hpo", default=os.environ.get("HPO_BIN", ".build/debug/hpo"))
    parser.add_argument("--skip-optuna", action="store_true")
    arguments = parser.parse_args()
    if not os.access(arguments.hpo, os.X_OK):
        sys.exit(f"bench_concurrency: no hpo binary at {arguments.hpo} (pass --hpo or set HPO_BIN)")
    python = os.environ.get("OPTUNA_PYTHON")
    if not python:
        for candidate in ("../bench-venv/bin/python",):
            if os.access(candidate, os.X_OK):
                python = candidate
                break
    if arguments.skip_optuna:
        python = None
    counts = [int(part) for part in arguments.processes.split(",") if part]
    rows = []
    for processes in counts:
        for tool in ["hpo"] + (["optuna"] if python else []):
            row = measure(tool, processes, arguments, python)
            rows.append(row)
            states = ", ".join(f"{state} {count}" for state, count in sorted(row["states"].items()))
            print(
                f"{tool:6} {processes:2} processes: {row['complete']} complete ({states}; numbers dense: "
                f"{row['dense']}), {row['errors']} errors, {row['seconds']:.2f}s, "
                f"{row['trials_per_second']:.1f} trials/s"
                + (f"  first error: {row['first_error']}" if "first_error" in row else ""),
                flush=True,
            )
    if not python:
        print("optuna: not measured (set OPTUNA_PYTHON to a Python with optuna 5.0)")
    for processes in counts:
        by_tool = {row["tool"]: row for row in rows if row["processes"] == processes}
        if "hpo" in by_tool and "optuna" in by_tool and by_tool["optuna"]["trials_per_second"] > 0:
            ratio = by_tool["hpo"]["trials_per_second"] / by_tool["optuna"]["trials_per_second"]
            print(
                f"{processes} processes: hpo {by_tool['hpo']['trials_per_second']:.1f} trials/s, "
                f"optuna {by_tool['optuna']['trials_per_second']:.1f} trials/s: hpo x{ratio:.1f}"
            )
    ok = all(row["errors"] == 0 and row["complete"] == arguments.trials for row in rows if row["tool"] == "hpo")
    print("hpo: exactly %d finished trials and no errors in every setting: %s" % (arguments.trials, ok))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
