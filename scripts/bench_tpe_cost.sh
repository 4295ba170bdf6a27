#!/usr/bin/env bash
# The cost of one TPE ask in hpo beside Optuna's default TPE in memory, measured in the same run.
#
#   scripts/bench_tpe_cost.sh [--repeats N] [--runs R]
#
# hpo: `hpo-bench tpe` (the CPU time of one warm ask at 100, 1,000 and 10,000 completed trials of the
# 10-parameter space: 8 floats, one log int, one 4-way categorical), on a history of random proposals and on one of
# TPE's own proposals (the kind of history the peers' figures come from). Optuna: the bench harness's overhead.py
# with TPESampler() defaults on in-memory storage, whose "last100 ms/trial" at N is the mean cost of trials
# N-99..N (ask, suggest, tell; in memory the sampler is nearly all of it). Optuna runs when ../bench-venv and
# ../shared/bench exist (scripts/bench-env.sh makes the environment); otherwise only hpo is printed. rustuna
# (Optuna's Rust port, overhead_rustuna.py, TPESampler() defaults in memory) runs when ../rustuna-venv exists
# (scripts/bench-env.sh --rustuna) or $RUSTUNA_PYTHON names its Python.
#
# Every tool runs R times (default 3; hpo-bench as R processes, the peers with --repeats R) and each figure is the
# median of the R runs (the peers' harness reports that median too): single runs on a shared machine move by tens of
# percent. hpo's figures of every run are printed as well.
set -euo pipefail
cd "$(dirname "$0")/.."

repeats=30
runs=3
while [[ $# -gt 0 ]]; do
    case "$1" in
    --repeats) repeats="${2:?--repeats needs a number}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a number}"; shift 2 ;;
    *) echo "usage: scripts/bench_tpe_cost.sh [--repeats N] [--runs R]" >&2; exit 2 ;;
    esac
done

swift build -c release --product hpo-bench >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

PY=../bench-venv/bin/python
BENCH=../shared/bench
optuna_json=""
if [[ -x "$PY" && -f "$BENCH/overhead.py" ]]; then
    echo "Optuna 5.0 TPESampler() in memory, trials 1..1000 (overhead.py)..." >&2
    PYTHONDONTWRITEBYTECODE=1 "$PY" "$BENCH/overhead.py" --samplers tpe --storages memory --sizes 100,1000 \
        --repeats "$runs" --results-dir "$work" --name optuna_tpe_memory >/dev/null
    optuna_json="$work/optuna_tpe_memory.json"
fi

RPY=${RUSTUNA_PYTHON:-../rustuna-venv/bin/python}
rustuna_json=""
if [[ -x "$RPY" && -f "$BENCH/overhead_rustuna.py" ]]; then
    echo "rustuna 0.2 TPESampler() in memory, trials 1..1000 (overhead_rustuna.py)..." >&2
    PYTHONDONTWRITEBYTECODE=1 "$RPY" "$BENCH/overhead_rustuna.py" --samplers tpe --storages memory \
        --sizes 100,1000 --repeats "$runs" --results-dir "$work" --name rustuna_tpe_memory >/dev/null
    rustuna_json="$work/rustuna_tpe_memory.json"
fi

echo "hpo TPE (hpo-bench tpe, $repeats asks per size, $runs runs)..." >&2
for run in $(seq "$runs"); do
    echo "run $run:"
    .build/release/hpo-bench tpe --sizes 100,1000,10000 --repeats "$repeats" --cold false | tee -a "$work/hpo.txt"
    # The peers' figures come from trials their own TPE proposed, where the kernels gather around the candidates and
    # fewer of them can be skipped; hpo is measured on such a history too.
    .build/release/hpo-bench tpe --sizes 100,1000 --repeats "$repeats" --cold false --modes multivariate \
        --history tpe | tee -a "$work/hpo-tpe.txt"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$work/hpo.txt" "$optuna_json" "$rustuna_json" "$work/hpo-tpe.txt" "$runs" <<'EOF'
import json
import statistics
import sys


def read(path):
    runs = {}
    for line in open(path):
        fields = line.split()
        if fields and fields[0].isdigit():
            runs.setdefault(int(fields[0]), []).append(float(fields[1]))  # multivariate warm, ms
    return {size: statistics.median(values) for size, values in runs.items()}, runs


hpo, hpo_runs = read(sys.argv[1])
own, own_runs = read(sys.argv[4])
print()
print(f"hpo, one ask in each of the {sys.argv[5]} runs (ms; the tables give the median):")
for title, runs in (("random history", hpo_runs), ("TPE's own history", own_runs)):
    for size in sorted(runs):
        print(f"  {title}, {size:,} trials: " + " ".join(f"{value:.3f}" for value in runs[size]))
if not sys.argv[2]:
    print("Optuna not measured (no ../bench-venv or ../shared/bench)")
    sys.exit(0)
cells = json.load(open(sys.argv[2]))["configs"][0]["cells"]
rustuna = json.load(open(sys.argv[3]))["configs"][0]["cells"] if sys.argv[3] else {}


def peer(cells, size, times):
    value = cells.get(str(size), {}).get("last100_ms")
    ratio = f"{value / times[size]:.0f}x" if value and times.get(size) else "-"
    return (f"{value:.2f} ms" if value else "not run"), ratio


for title, times in (("random history", hpo), ("history of TPE's own proposals (as the peers measure)", own)):
    print()
    print(f"hpo's {title} (medians of the runs):")
    print("| completed trials | hpo one ask (multivariate) | Optuna TPE default, ms per trial in memory | Optuna / hpo "
          "| rustuna TPE default, ms per trial in memory | rustuna / hpo |")
    print("|---|---|---|---|---|---|")
    for size in sorted(times):
        optuna_text, optuna_ratio = peer(cells, size, times)
        rustuna_text, rustuna_ratio = (
            peer(rustuna, size, times) if rustuna else ("not measured (no ../rustuna-venv)", "-"))
        print(f"| {size:,} | {times[size]:.3f} ms | {optuna_text} | {optuna_ratio} | {rustuna_text} "
              f"| {rustuna_ratio} |")
EOF
