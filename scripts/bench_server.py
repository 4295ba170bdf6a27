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

    python3 scripts/bench_server.py --hpo .build/release/hpo
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
budget: {{n_trials: 100000000}}
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


def worker(host, port, study, reports, stop_at, results, lock, told):
    client = Client(host, port)
    latencies = {"ask": [], "report": [], "tell": []}
    errors = 0
    step_value = 0.0
    while time.monotonic() < stop_at:
        try:
            started = time.perf_counter()
            status, payload = client.call("POST", f"/studies/{study}/ask")
            latencies["ask"].append(time.perf_counter() - started)
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hpo", default=".build/release/hpo", help="the hpo binary to start")
    parser.add_argument("--url", help="use a daemon already running on loopback instead")
    parser.add_argument("--pid", type=int, help="the running daemon's process id (for its memory)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--reports", type=int, default=3, help="intermediate values per trial")
    parser.add_argument("--sampler", default="random", choices=["random", "tpe"])
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
        study = f"bench-{int(time.time())}"
        setup = Client(host, port)
        status, payload = setup.call(
            "POST", "/studies", {"study": STUDY.format(name=study, sampler=args.sampler), "overrides": []}
        )
        if status not in (200, 201):
            sys.exit(f"could not create the study: {status} {payload.decode()}")
        rss_start = rss_kib(pid) if pid else None
        results = {"latencies": {"ask": [], "report": [], "tell": []}, "errors": 0}
        lock = threading.Lock()
        told = [0]
        started = time.monotonic()
        stop_at = started + seconds
        threads = [
            threading.Thread(target=worker, args=(host, port, study, args.reports, stop_at, results, lock, told))
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
              f"{args.sampler} sampler, {elapsed:.1f} s")
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
        if pid and rss_start and rss_end:
            trail = ", ".join(f"{t:.0f}s {kib / 1024:.1f}" for t, kib, _ in samples[1:-1] if kib)
            print(f"daemon RSS MiB: start {rss_start / 1024:.1f}, end {rss_end / 1024:.1f} (samples: {trail})")
            print(memory_verdict([sample for sample in samples if sample[1]]))
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
