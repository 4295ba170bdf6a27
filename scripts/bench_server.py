#!/usr/bin/env python3
"""Load benchmark of `hpo serve`'s ask / report / tell endpoints, from a second process, on loopback only.

Starts the daemon (or uses one already running on 127.0.0.1 with --url and --pid), creates a study driven from
outside, then for --seconds (default 60, at most 600) runs --clients threads that each loop: ask, report
--reports intermediate values, tell. Prints requests per second, latency percentiles per endpoint, the error
count and the daemon's resident memory at the start, every 5 s and at the end, with the trials finished by then.

The last line is a verdict on memory: the RSS growth per 1,000 trials in the first and in the second half of the
run (the first half includes one-time growth: code pages touched, SQLite's page cache filling), the bytes per trial
that the second half shows (flat: under 64 bytes per trial), and whether growth slowed after warm-up (the second
half grows less than half as fast as the first). Growth that slowed but stays above 64 bytes per trial is memory
kept per trial, not warm-up: the verdict says "not flat" and gives the rate.

With --rotate N the clients drive a sequence of studies of N trials each: when an ask finds the current study's
budget used (409), a new study is created and the clients move on to it. The daemon releases a finished study's
memory, so RSS should level off across studies: the verdict gives RSS at the start, after warm-up (a third of the
run) and at the end, the bytes per trial overall and after warm-up, and whether it levelled off (under 64 bytes per
trial after warm-up).

    python3 scripts/bench_server.py --hpo .build/release/hpo
    python3 scripts/bench_server.py --hpo .build/release/hpo --rotate 2000 --sampler tpe
    python3 scripts/bench_server.py --url http://127.0.0.1:8080 --pid 12345 --seconds 30

Standard library only.
"""

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

STUDY = """version: 1
name: {name}
direction: minimize
sampler: {{type: {sampler}, seed: 1}}
scheduler: {{type: median, n_startup_trials: 5}}
budget: {{n_trials: {n_trials}}}
space:
  x: {{type: float, low: -5.0, high: 5.0}}
  y: {{type: float, low: -5.0, high: 5.0}}
  layers: {{type: int, low: 1, high: 4}}
"""


def rss_kib(pid):
    """Resident set size of a process in KiB, from /proc."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * (len(sorted_values) - 1)))))
    return sorted_values[index]


class Client:
    """One keep-alive connection to the daemon."""

    def __init__(self, host, port):
        self.connection = http.client.HTTPConnection(host, port, timeout=30)

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        data = json.dumps(body).encode() if body is not None else None
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        return response.status, payload


class Studies:
    """The study the clients drive: one for the whole run, or (with `rotate`) a new one of `rotate` trials each time
    the current one has used its budget."""

    def __init__(self, client, prefix, sampler, rotate):
        self.client = client
        self.prefix = prefix
        self.sampler = sampler
        self.rotate = rotate
        self.lock = threading.Lock()
        self.created = 0
        self.current = None
        self.next_study()

    def next_study(self):
        name = f"{self.prefix}-{self.created}" if self.rotate else self.prefix
        n_trials = self.rotate or 100000000
        status, payload = self.client.call(
            "POST", "/studies",
            {"study": STUDY.format(name=name, sampler=self.sampler, n_trials=n_trials), "overrides": []},
        )
        if status not in (200, 201):
            sys.exit(f"could not create the study: {status} {payload.decode()}")
        self.created += 1
        self.current = name

    def budget_used(self, name):
        """The study `name` has used its budget: move on to a new one (once per study)."""
        with self.lock:
            if self.current == name:
                self.next_study()


def worker(host, port, studies, reports, stop_at, results, lock, told):
    client = Client(host, port)
    latencies = {"ask": [], "report": [], "tell": []}
    errors = 0
    step_value = 0.0
    while time.monotonic() < stop_at:
        try:
            study = studies.current
            started = time.perf_counter()
            status, payload = client.call("POST", f"/studies/{study}/ask")
            latencies["ask"].append(time.perf_counter() - started)
            if status == 409 and studies.rotate:
                studies.budget_used(study)
                continue
            if status != 201:
                errors += 1
                continue
            asked = json.loads(payload)
            number = asked["trial"]
            params = asked["params"]
            value = params["x"] ** 2 + params["y"] ** 2
            pruned = False
            for step in range(reports):
                step_value = value + 1.0 / (step + 1)
                started = time.perf_counter()
                status, payload = client.call(
                    "POST", f"/studies/{study}/trials/{number}/report", {"step": step, "value": step_value}
                )
                latencies["report"].append(time.perf_counter() - started)
                if status != 200:
                    errors += 1
                    break
                if json.loads(payload)["decision"] == "prune":
                    pruned = True
                    break
            body = {"state": "pruned"} if pruned else {"value": value}
            started = time.perf_counter()
            status, _ = client.call("POST", f"/studies/{study}/trials/{number}/tell", body)
            latencies["tell"].append(time.perf_counter() - started)
            if status != 200:
                errors += 1
            else:
                with lock:
                    told[0] += 1
        except (OSError, http.client.HTTPException, ValueError, KeyError) as error:
            errors += 1
            print(f"request failed: {error}", file=sys.stderr)
            client = Client(host, port)
    with lock:
        for key, values in latencies.items():
            results["latencies"][key].extend(values)
        results["errors"] += errors


def start_daemon(binary, workdir):
    process = subprocess.Popen(
        [binary, "serve", "--storage", "sqlite:///bench.db", "--port", "0", "--workers", "2"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if "serving on http://127.0.0.1:" in line:
            return process, int(line.rsplit(":", 1)[1])
    process.kill()
    sys.exit("the daemon did not start")


def memory_verdict(samples):
    """One line on memory from (seconds, RSS KiB, trials finished) samples: growth per 1,000 trials in each half."""
    start, end = samples[0], samples[-1]
    middle = min(samples[1:-1] or [end], key=lambda sample: abs(sample[0] - end[0] / 2))
    if end[2] - middle[2] < 100 or middle[2] - start[2] < 100:
        return "memory verdict: too few trials to judge"

    def per_thousand(a, b):
        return (b[1] - a[1]) * 1000 / (b[2] - a[2])

    first, second = per_thousand(start, middle), per_thousand(middle, end)
    bytes_per_trial = second * 1024 / 1000
    verdict = "flat" if bytes_per_trial < 64 else f"not flat, {bytes_per_trial:.0f} bytes per trial"
    shape = "growth slowed after warm-up" if second < first / 2 else "growth did not slow after warm-up"
    return (f"memory verdict: {verdict} ({shape}): RSS growth per 1,000 trials {first:.0f} KiB over trials "
            f"0-{middle[2]}, {second:.0f} KiB over trials {middle[2]}-{end[2]} "
            f"({bytes_per_trial * 1e6 / 2**20:.0f} MiB per million trials at the second rate)")


def rotation_verdict(samples, studies, rotate):
    """Memory across a sequence of studies, from (seconds, RSS KiB, trials finished) samples: RSS at the start,
    after warm-up (the sample nearest a third of the run) and at the end, bytes per trial overall and after
    warm-up, and whether RSS levelled off (under 64 bytes per trial after warm-up)."""
    start, end = samples[0], samples[-1]
    warm = min(samples[1:-1] or [end], key=lambda sample: abs(sample[0] - end[0] / 3))
    if end[2] - warm[2] < 100 or warm[2] - start[2] < 100:
        return "memory verdict: too few trials to judge"

    def per_trial(a, b):
        return (b[1] - a[1]) * 1024 / (b[2] - a[2])

    overall, after = per_trial(start, end), per_trial(warm, end)
    peak = max(sample[1] for sample in samples)
    verdict = "levelled off" if after < 64 else f"did not level off, {after:.0f} bytes per trial after warm-up"
    return (f"memory verdict ({studies} studies of {rotate} trials): {verdict}: RSS MiB start {start[1] / 1024:.1f}, "
            f"after warm-up {warm[1] / 1024:.1f} ({warm[0]:.0f} s, {warm[2]} trials), end {end[1] / 1024:.1f} "
            f"({end[2]} trials), peak {peak / 1024:.1f}; bytes per trial overall {overall:.0f}, after warm-up "
            f"{after:.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hpo", default=".build/release/hpo", help="the hpo binary to start")
    parser.add_argument("--url", help="use a daemon already running on loopback instead")
    parser.add_argument("--pid", type=int, help="the running daemon's process id (for its memory)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--reports", type=int, default=3, help="intermediate values per trial")
    parser.add_argument("--sampler", default="random", choices=["random", "tpe"])
    parser.add_argument("--rotate", type=int, default=0, metavar="N",
                        help="drive a sequence of studies of N trials each (a new one once the budget is used)")
    args = parser.parse_args()
    seconds = min(max(args.seconds, 1), 600)

    workdir = None
    process = None
    if args.url:
        parsed = urllib.parse.urlparse(args.url)
        host, port = parsed.hostname, parsed.port or 80
        if host not in ("127.0.0.1", "localhost", "::1"):
            sys.exit("--url must be a loopback address")
        pid = args.pid
    else:
        binary = os.path.abspath(args.hpo) if os.sep in args.hpo else (shutil.which(args.hpo) or args.hpo)
        workdir = tempfile.mkdtemp(prefix="hpo-bench-")
        process, port = start_daemon(binary, workdir)
        host, pid = "127.0.0.1", process.pid

    try:
        studies = Studies(Client(host, port), f"bench-{int(time.time())}", args.sampler, max(0, args.rotate))
        rss_start = rss_kib(pid) if pid else None
        results = {"latencies": {"ask": [], "report": [], "tell": []}, "errors": 0}
        lock = threading.Lock()
        told = [0]
        started = time.monotonic()
        stop_at = started + seconds
        threads = [
            threading.Thread(target=worker, args=(host, port, studies, args.reports, stop_at, results, lock, told))
            for _ in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        samples = [(0.0, rss_start, 0)]
        while any(thread.is_alive() for thread in threads):
            time.sleep(min(5, max(0.1, stop_at - time.monotonic())))
            if pid and time.monotonic() < stop_at:
                with lock:
                    finished = told[0]
                samples.append((time.monotonic() - started, rss_kib(pid), finished))
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        rss_end = rss_kib(pid) if pid else None
        samples.append((elapsed, rss_end, told[0]))

        everything = sorted(value for values in results["latencies"].values() for value in values)
        total = len(everything)
        print(f"hpo serve ask/report/tell benchmark: {args.clients} clients, {args.reports} reports per trial, "
              f"{args.sampler} sampler, {elapsed:.1f} s"
              + (f", studies of {args.rotate} trials ({studies.created} created)" if args.rotate else ""))
        print(f"requests: {total}  ({total / elapsed:.0f} requests/s), trials: "
              f"{len(results['latencies']['tell'])} ({len(results['latencies']['tell']) / elapsed:.0f} trials/s)")
        print(f"errors: {results['errors']}")
        print("latency ms        p50      p90      p99    p99.9      max")
        for name, values in list(results["latencies"].items()) + [("all", everything)]:
            values = sorted(values)
            if not values:
                continue
            row = [percentile(values, q) * 1000 for q in (0.5, 0.9, 0.99, 0.999)] + [values[-1] * 1000]
            print(f"  {name:<10}" + "".join(f"{value:9.2f}" for value in row))
        status, payload = Client(host, port).call("GET", "/healthz")
        if status == 200:
            print(f"studies loaded in the daemon at the end: {json.loads(payload).get('studies_loaded')} "
                  f"(of {studies.created} driven)")
        if pid and rss_start and rss_end:
            trail = ", ".join(f"{t:.0f}s {kib / 1024:.1f}" for t, kib, _ in samples[1:-1] if kib)
            print(f"daemon RSS MiB: start {rss_start / 1024:.1f}, end {rss_end / 1024:.1f} (samples: {trail})")
            kept = [sample for sample in samples if sample[1]]
            if args.rotate:
                print(rotation_verdict(kept, studies.created, args.rotate))
            else:
                print(memory_verdict(kept))
    finally:
        if process:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
