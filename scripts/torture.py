#!/usr/bin/env python3
"""Crash torture for `hpo run`: a study is killed with SIGKILL at random moments and restarted each time.

Runs a `n_trials`-trial, 2-worker study (`--workers`); `--kills` times it starts `hpo run`, waits a random moment and kills the
process with SIGKILL, then checks that every value committed before the kill is unchanged. A last run finishes the
study. It then prints the counts and fails (exit 1) unless:

- the study has exactly `n_trials` counted trials and as many COMPLETE ones (each trial lost in a kill was failed
  with "worker lost" and re-run as a retry with the same parameters);
- every value committed before a kill is unchanged after it;
- trial numbers are unique and dense (0 .. count-1);
- no trial is left RUNNING or WAITING.

Usage: scripts/torture.py [--trials 100] [--kills 30] [--seed 1] [--workers 2] [--hpo .build/debug/hpo]
(`HPO_BIN` also names the binary). Needs only the Python standard library.
"""

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

STUDY = """\
name: torture
direction: minimize
sampler: {{type: random, seed: 7}}
trainer: {{type: function, objective: curve, steps: {steps}, step_delay: {delay}}}
budget: {{n_trials: {trials}, workers: {workers}}}
retry: {{max_retries: 1000, heartbeat_interval: 0.2s, grace_period: 1s}}
space:
  lr: {{type: float, low: 0.0001, high: 1.0, log: true}}
  width: {{type: int, low: 1, high: 64}}
"""


def committed(db):
    """Every committed value: trial values and intermediate values, keyed by trial id."""
    if not os.path.exists(db):
        return {}
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        values = {}
        for trial_id, value in connection.execute("SELECT trial_id, value FROM trial_values"):
            values[("value", trial_id)] = value
        for trial_id, step, value in connection.execute(
            "SELECT trial_id, step, intermediate_value FROM trial_intermediate_values"
        ):
            values[("step", trial_id, step)] = value
        for trial_id, number, state in connection.execute("SELECT trial_id, number, state FROM trials"):
            if state in ("COMPLETE", "PRUNED", "FAIL"):
                values[("state", trial_id)] = (number, state)
        return values
    except sqlite3.OperationalError:
        return {}
    finally:
        connection.close()


def summary(db):
    connection = sqlite3.connect(db, timeout=30)
    try:
        rows = connection.execute("SELECT trial_id, number, state FROM trials ORDER BY number").fetchall()
        retries = {
            row[0]
            for row in connection.execute("SELECT trial_id FROM trial_system_attributes WHERE key = 'failed_trial'")
        }
        reasons = [
            row[0]
            for row in connection.execute(
                "SELECT value_json FROM trial_system_attributes WHERE key = 'fail_reason'"
            )
        ]
    finally:
        connection.close()
    states = {}
    for _, _, state in rows:
        states[state] = states.get(state, 0) + 1
    counted = sum(1 for trial_id, _, state in rows if state != "WAITING" and trial_id not in retries)
    numbers = [number for _, number, _ in rows]
    return rows, states, counted, numbers, reasons


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="the study's budget.workers (1: finishes overlap)")
    parser.add_argument("--step-delay", default="0.02s")
    parser.add_argument("--max-wait", type=float, default=0.8, help="longest run before a kill, seconds")
    parser.add_argument("--hpo", default=os.environ.get("HPO_BIN", ".build/debug/hpo"))
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    arguments = parser.parse_args()
    binary = os.path.abspath(arguments.hpo)
    if not os.access(binary, os.X_OK):
        sys.exit(f"torture: no hpo binary at {binary} (build it, or pass --hpo / set HPO_BIN)")
    generator = random.Random(arguments.seed)
    directory = tempfile.mkdtemp(prefix="hpo-torture-")
    study = os.path.join(directory, "study.yaml")
    with open(study, "w") as handle:
        handle.write(
            STUDY.format(
                trials=arguments.trials, workers=arguments.workers, steps=arguments.steps, delay=arguments.step_delay
            )
        )
    db = os.path.join(directory, "torture.db")
    command = [binary, "run", study, "--storage", f"sqlite:///{db}"]
    log = open(os.path.join(directory, "runs.log"), "w")

    changed = []
    kills = 0
    finished_early = 0
    started = time.time()
    for index in range(arguments.kills):
        before = committed(db)
        process = subprocess.Popen(command, cwd=directory, stdout=log, stderr=log)
        time.sleep(generator.uniform(0.02, arguments.max_wait))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        else:
            finished_early += 1
        process.wait()
        after = committed(db)
        for key, value in before.items():
            if after.get(key) != value:
                changed.append((index, key, value, after.get(key)))
    before = committed(db)
    final = subprocess.run(command, cwd=directory, stdout=log, stderr=log)
    after = committed(db)
    for key, value in before.items():
        if after.get(key) != value:
            changed.append(("final", key, value, after.get(key)))
    elapsed = time.time() - started
    log.close()

    rows, states, counted, numbers, reasons = summary(db)
    lost = sum(1 for reason in reasons if "worker lost" in reason)
    dense = numbers == list(range(len(numbers)))
    unique = len(set(numbers)) == len(numbers)
    print(f"torture: {kills} SIGKILLs ({finished_early} runs had already finished), then one last run "
          f"(exit {final.returncode}), {elapsed:.1f}s, in {directory}")
    print(f"trials stored: {len(rows)}; by state: "
          + ", ".join(f"{state} {count}" for state, count in sorted(states.items())))
    print(f"counted toward n_trials: {counted} (target {arguments.trials}); "
          f"failed as 'worker lost' and re-queued: {lost}")
    print(f"finished (COMPLETE): {states.get('COMPLETE', 0)}; RUNNING left: {states.get('RUNNING', 0)}; "
          f"WAITING left: {states.get('WAITING', 0)}")
    print(f"numbers unique: {unique}; dense 0..{len(numbers) - 1}: {dense}")
    print(f"values committed before a kill and changed after it: {len(changed)}")
    for change in changed[:10]:
        print(f"  changed: {change}")
    ok = (
        final.returncode == 0
        and counted == arguments.trials
        and states.get("COMPLETE", 0) == arguments.trials
        and states.get("RUNNING", 0) == 0
        and states.get("WAITING", 0) == 0
        and dense
        and unique
        and not changed
    )
    print("torture: OK" if ok else "torture: FAILED")
    if ok and not arguments.keep:
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))
        os.rmdir(directory)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
