#!/usr/bin/env python3
"""Crash torture for `hpo serve`: the daemon is killed with SIGKILL at random moments while it trains one study on
its pool and a client drives a second one through the HTTP API (ask with heartbeats, reports, tell); each time it is
restarted on the same storage, and the client carries on with the trial it holds.

At the end the daemon runs until both studies are finished, and the script fails (exit 1) unless:

- the trained study has exactly `--trials` counted trials, all COMPLETE (trials lost in a kill were failed with
  "worker lost" and re-run as retries with the same parameters);
- the client's study has `--remote-trials` COMPLETE trials, and every tell the daemon acknowledged is stored with
  the value told, every acknowledged report with its value (a retry keeps the reports it inherits from the trial it
  re-runs: a step reported twice keeps its first value; now and then the client stalls past the grace period:
  its trial is failed for silence, and the retry goes to its next ask);
- every value committed before a kill is unchanged after it (read from the database before each kill);
- in each study, trial numbers are unique and dense, and no trial is left RUNNING or WAITING.

A request whose answer was lost in a kill is sent again after the restart; a tell that then finds its trial already
finished (or failed while the daemon was down) counts as uncertain, and must be stored either with the value told or
as FAIL.

Usage: scripts/torture_serve.py [--kills 20] [--trials 60] [--remote-trials 40] [--seed 1] [--down 1.5]
       [--stall 0.05] [--hpo BIN]
(`HPO_BIN` also names the binary). Needs only the Python standard library.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

TRAINED = """\
name: torture-trained
direction: minimize
sampler: {{type: random, seed: 7}}
trainer: {{type: function, objective: curve, steps: {steps}, step_delay: {delay}}}
budget: {{n_trials: {trials}, workers: 2}}
retry: {{max_retries: 1000, heartbeat_interval: 0.2s, grace_period: 1s}}
space:
  lr: {{type: float, low: 0.0001, high: 1.0, log: true}}
  width: {{type: int, low: 1, high: 64}}
"""

REMOTE = """\
name: torture-remote
direction: minimize
sampler: {{type: random, seed: 8}}
budget: {{n_trials: {trials}}}
retry: {{max_retries: 1000, heartbeat_interval: 0.2s, grace_period: 1s}}
space:
  x: {{type: float, low: -5.0, high: 5.0}}
"""

REPORTS = 4


class Daemon:
    """The daemon process, restarted on the same storage after each kill; `port` is the current one."""

    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = workdir
        self.process = None
        self.port = None
        self.lock = threading.Lock()

    def start(self):
        process = subprocess.Popen(
            [self.binary, "serve", "--storage", "sqlite:///torture.db", "--port", "0", "--workers", "2"],
            cwd=self.workdir, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if "serving on http://127.0.0.1:" in line:
                with self.lock:
                    self.process, self.port = process, int(line.rsplit(":", 1)[1])
                # Keep reading stdout so that the daemon never blocks on a full pipe.
                threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
                return
        process.kill()
        sys.exit("torture_serve: the daemon did not start")

    def kill(self):
        with self.lock:
            process, self.port = self.process, None
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop(self):
        with self.lock:
            process = self.process
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)

    def call(self, method, path, body=None, timeout=30):
        """One request; raises OSError while the daemon is down."""
        with self.lock:
            port = self.port
        if port is None:
            raise ConnectionRefusedError("daemon down")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            data = json.dumps(body).encode() if body is not None else None
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            return response.status, (json.loads(payload) if payload else {})
        finally:
            connection.close()


class RemoteClient(threading.Thread):
    """Drives torture-remote: ask with heartbeats, REPORTS reports, tell; keeps what the daemon acknowledged."""

    def __init__(self, daemon, trials, seed, stall):
        super().__init__(daemon=True)
        self.stall = stall
        self.daemon_process = daemon
        self.trials = trials
        self.random = random.Random(seed)
        self.told = {}  # number -> value, acknowledged
        self.uncertain = {}  # number -> value, a tell whose answer was lost
        self.reported = {}  # (number, step) -> value, acknowledged
        self.failures = []
        self.done = threading.Event()

    def send(self, method, path, body=None):
        """Sends until the daemon answers; returns (status, payload, whether an earlier attempt was lost)."""
        lost = False
        while True:
            try:
                status, payload = self.daemon_process.call(method, path, body)
                return status, payload, lost
            except (OSError, http.client.HTTPException):
                lost = True
                time.sleep(0.05)

    def run(self):
        base = "/studies/torture-remote"
        try:
            while True:
                status, payload, _ = self.send("POST", f"{base}/ask", {"heartbeat": True})
                if status == 409:
                    _, overview, _ = self.send("GET", base)
                    if (overview.get("counts") or {}).get("complete", 0) >= self.trials:
                        return
                    time.sleep(0.1)  # a failed trial's retry is queued once the daemon notices it
                    continue
                if status != 201:
                    self.failures.append(f"ask answered {status}: {payload}")
                    return
                number = payload["trial"]
                value = payload["params"]["x"] ** 2
                alive = True
                for step in range(REPORTS):
                    step_value = value + 1.0 / (step + 1) + self.random.random() * 1e-3
                    status, payload, _ = self.send(
                        "POST", f"{base}/trials/{number}/report", {"step": step, "value": step_value}
                    )
                    if status == 409:  # failed for silence while the daemon was down: its retry goes to an ask
                        alive = False
                        break
                    if status != 200:
                        self.failures.append(f"report on trial {number} answered {status}: {payload}")
                        return
                    self.reported.setdefault((number, step), step_value)
                    # Now and then the client stalls past the grace period, as a worker that hangs does.
                    time.sleep(1.5 if self.random.random() < self.stall else self.random.random() * 0.02)
                if not alive:
                    continue
                status, payload, lost = self.send("POST", f"{base}/trials/{number}/tell", {"value": value})
                if status == 200:
                    self.told[number] = value
                elif status == 409 and lost:
                    self.uncertain[number] = value
                elif status != 409:
                    self.failures.append(f"tell on trial {number} answered {status}: {payload}")
                    return
        finally:
            self.done.set()


def query(path, sql, arguments=()):
    """The rows of one query, read with a separate read-only connection."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute(sql, arguments).fetchall()
    finally:
        connection.close()


def read_retries(path, name):
    """{number of a retry: number of the failed trial it re-runs} of a study."""
    rows = query(
        path,
        "SELECT t.number, a.value_json FROM trial_system_attributes a JOIN trials t ON t.trial_id = a.trial_id "
        "JOIN studies s ON s.study_id = t.study_id WHERE s.study_name = ? AND a.key = 'failed_trial'",
        (name,),
    )
    return {number: int(json.loads(value)) for number, value in rows}


def read_study(path, name):
    """{number: (state, value, {step: value})} of a study."""
    rows = query(
        path,
        "SELECT t.trial_id, t.number, t.state, v.value, i.step, i.intermediate_value FROM trials t "
        "JOIN studies s ON s.study_id = t.study_id "
        "LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0 "
        "LEFT JOIN trial_intermediate_values i ON i.trial_id = t.trial_id WHERE s.study_name = ?",
        (name,),
    )
    trials = {}
    for _, number, state, value, step, step_value in rows:
        _, _, steps = trials.setdefault(number, (state, value, {}))
        if step is not None:
            steps[step] = step_value
    return trials


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--remote-trials", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--stall", type=float, default=0.05,
        help="chance that the client stalls for 1.5 s after a report (its trial is failed for silence and retried)",
    )
    parser.add_argument(
        "--down", type=float, default=1.5,
        help="longest time the daemon stays down after a kill, in seconds (longer than the 1 s grace period fails "
        "the client's trial for silence)",
    )
    parser.add_argument("--hpo", default=os.environ.get("HPO_BIN", ".build/debug/hpo"))
    args = parser.parse_args()
    binary = os.path.abspath(args.hpo)
    chance = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix="hpo-torture-serve-")
    database = os.path.join(workdir, "torture.db")
    daemon = Daemon(binary, workdir)
    daemon.start()

    for text in (TRAINED.format(steps=8, delay="0.02", trials=args.trials), REMOTE.format(trials=args.remote_trials)):
        status, payload = daemon.call("POST", "/studies", {"study": text, "overrides": []})
        if status not in (200, 201):
            sys.exit(f"torture_serve: could not create a study: {status} {payload}")
    client = RemoteClient(daemon, args.remote_trials, args.seed, args.stall)
    client.start()

    committed = {}  # (study, number) -> (state, value, steps) of finished trials seen before a kill
    problems = []
    for kill in range(args.kills):
        time.sleep(chance.uniform(0.2, 1.2))
        before = {}
        for name in ("torture-trained", "torture-remote"):
            for number, row in read_study(database, name).items():
                if row[0] in ("COMPLETE", "FAIL", "PRUNED"):
                    before[(name, number)] = row
        daemon.kill()
        after = {
            (name, number): row
            for name in ("torture-trained", "torture-remote")
            for number, row in read_study(database, name).items()
        }
        for key, row in before.items():
            if after.get(key) != row:
                problems.append(f"kill {kill + 1}: {key} was {row}, after the kill {after.get(key)}")
        committed.update(before)
        time.sleep(chance.uniform(0.0, args.down))
        daemon.start()

    # Let both studies finish.
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status, overview = daemon.call("GET", "/studies/torture-trained")
        if status == 200 and overview.get("status") == "finished" and client.done.is_set():
            break
        time.sleep(0.2)
    else:
        problems.append("the studies did not finish within 10 minutes")
    daemon.stop()

    final = {name: read_study(database, name) for name in ("torture-trained", "torture-remote")}
    for key, row in committed.items():
        if final[key[0]].get(key[1]) != row:
            problems.append(f"{key} committed as {row} before a kill, at the end {final[key[0]].get(key[1])}")
    for name, expected in (("torture-trained", args.trials), ("torture-remote", args.remote_trials)):
        trials = final[name]
        states = [row[0] for row in trials.values()]
        if sorted(trials) != list(range(len(trials))):
            problems.append(f"{name}: trial numbers are not dense: {sorted(trials)}")
        left = [number for number, row in trials.items() if row[0] in ("RUNNING", "WAITING")]
        if left:
            problems.append(f"{name}: trials left RUNNING or WAITING: {left}")
        if states.count("COMPLETE") != expected:
            problems.append(f"{name}: {states.count('COMPLETE')} COMPLETE trials, expected {expected}")
        print(
            f"{name}: {len(trials)} trials: {states.count('COMPLETE')} COMPLETE, {states.count('FAIL')} FAIL "
            f"(lost in kills and re-run), {states.count('PRUNED')} PRUNED"
        )
    remote = final["torture-remote"]
    for number, value in client.told.items():
        if remote.get(number, (None, None))[:2] != ("COMPLETE", value):
            problems.append(f"acknowledged tell of trial {number} ({value}) stored as {remote.get(number)}")
    for number, value in client.uncertain.items():
        if remote.get(number, (None, None))[:2] not in (("COMPLETE", value), ("FAIL", None)):
            problems.append(f"uncertain tell of trial {number} ({value}) stored as {remote.get(number)}")
    retries = read_retries(database, "torture-remote")
    for (number, step), value in client.reported.items():
        stored = remote.get(number, (None, None, {}))[2].get(step)
        # A retry starts with the reports of the attempt before it (the failed trial it re-runs, or an earlier retry
        # of it), and a step reported twice keeps its first value.
        origin = retries.get(number)
        attempts = [m for m in remote if m < number and (m == origin or (origin is not None and retries.get(m) == origin))]
        inherited = {remote[m][2].get(step) for m in attempts}
        if stored != value and stored not in inherited:
            problems.append(f"acknowledged report of trial {number} step {step} ({value}) stored as {stored}")
    problems += client.failures

    print(
        f"{args.kills} kills; {len(committed)} finished trials checked across kills; client: {len(client.told)} "
        f"acknowledged tells, {len(client.uncertain)} uncertain, {len(client.reported)} acknowledged reports"
    )
    if problems:
        print(f"FAILED (the database is kept in {workdir}):\n  " + "\n  ".join(problems[:30]))
        sys.exit(1)
    shutil.rmtree(workdir, ignore_errors=True)
    print("OK")


if __name__ == "__main__":
    main()
