#!/usr/bin/env bash
# End-to-end cost of `hpo run`: N trivial trials (default 1,000) of a 10-parameter space (8 floats in [-5, 5], a log
# int in [1, 100], a 4-way categorical; the sphere objective) with TPE, seed 0, one worker, SQLite on disk. Prints the
# wall and CPU time of the whole process, the same with the random sampler (what is not TPE), and, when
# ../bench-venv/bin/python exists (or $OPTUNA_PYTHON), Optuna's study.optimize of the same trials on SQLite in the
# same run, with the ratio; the same for rustuna (Optuna's Rust port) when ../rustuna-venv exists.
#
# usage: scripts/bench_run.sh [N]
#   HPO_BIN=path      the hpo binary (default: build it with `swift build -c release --product hpo`;
#                     SCRATCH=folder picks the build folder, default .build)
#   BENCH_DIR=folder  where the database files go (default: a new folder under the system temp dir, on disk here)
#   BENCH_STRACE=1    also count fsync/fdatasync/pwrite64 system calls per trial (needs strace)
#   SKIP_OPTUNA=1     leave Optuna and rustuna out (rustuna runs when ../rustuna-venv exists, or $RUSTUNA_PYTHON;
#                     scripts/bench-env.sh [--rustuna] makes the environments)
#   RUNS=n            run hpo n times per sampler (default 1) and print the run with the median wall time (the
#                     machine's other work moves single runs a lot); Optuna runs once
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
trials=${1:-1000}

if [ -z "${HPO_BIN:-}" ]; then
    scratch=${SCRATCH:-.build}
    swift build -c release --scratch-path "$scratch" --product hpo >&2
    HPO_BIN="$scratch/release/hpo"
fi
[ -x "$HPO_BIN" ] || { echo "bench_run.sh: $HPO_BIN is not an executable" >&2; exit 1; }
HPO_BIN=$(cd "$(dirname "$HPO_BIN")" && pwd)/$(basename "$HPO_BIN")

dir=${BENCH_DIR:-}
if [ -z "$dir" ]; then
    dir=$(mktemp -d -t hpo-bench-run.XXXXXX)
    trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir"
filesystem=$(df -T "$dir" 2>/dev/null | awk 'NR == 2 { print $2 }')

cat >"$dir/study.yaml" <<EOF
name: bench-run
direction: minimize
sampler: {type: tpe, seed: 0}
scheduler: {type: none}
trainer: {type: function, objective: sphere}
budget: {n_trials: $trials, workers: 1}
space:
  x0: {type: float, low: -5.0, high: 5.0}
  x1: {type: float, low: -5.0, high: 5.0}
  x2: {type: float, low: -5.0, high: 5.0}
  x3: {type: float, low: -5.0, high: 5.0}
  x4: {type: float, low: -5.0, high: 5.0}
  x5: {type: float, low: -5.0, high: 5.0}
  x6: {type: float, low: -5.0, high: 5.0}
  x7: {type: float, low: -5.0, high: 5.0}
  n: {type: int, low: 1, high: 100, log: true}
  c: {type: categorical, choices: [a, b, c, d]}
EOF

# Runs hpo on a fresh database; prints "wall user sys" in seconds.
run_hpo() {
    local sampler=$1
    rm -f "$dir"/run.db*
    local TIMEFORMAT='%R %U %S'
    { time (cd "$dir" && "$HPO_BIN" run study.yaml "sampler.type=$sampler" --storage sqlite:///run.db \
        >/dev/null 2>"$dir/run-$sampler.log"); } 2>&1
}

per_trial_ms() { awk -v s="$1" -v n="$trials" 'BEGIN { printf "%.3f", 1000 * s / n }'; }

runs=${RUNS:-1}
echo "hpo run, $trials trivial trials, 10 parameters, SQLite on disk ($filesystem), 1 worker; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
[ "$runs" -gt 1 ] && echo "  (each hpo line: the run with the median wall time of $runs)"
declare -A wall cpu
for sampler in tpe random; do
    results=()
    for ((run = 0; run < runs; run++)); do results+=("$(run_hpo "$sampler")"); done
    read -r w u s <<<"$(printf '%s\n' "${results[@]}" | sort -n -k1,1 | sed -n "$(((runs + 1) / 2))p")"
    wall[$sampler]=$w
    cpu[$sampler]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
    completed=$(grep -c ' COMPLETE ' "$dir/run-$sampler.log" || true)
    printf '  %-7s wall %6.2f s (%s ms/trial)   CPU %5.2f s (user %s, sys %s; %s ms/trial)   %s trials completed\n' \
        "$sampler" "$w" "$(per_trial_ms "$w")" "${cpu[$sampler]}" "$u" "$s" "$(per_trial_ms "${cpu[$sampler]}")" \
        "$completed"
done

if [ "${BENCH_STRACE:-0}" = 1 ] && command -v strace >/dev/null 2>&1; then
    rm -f "$dir"/run.db*
    (cd "$dir" && strace -f -c -o "$dir/strace.txt" -e trace=fsync,fdatasync,pwrite64 \
        "$HPO_BIN" run study.yaml --storage sqlite:///run.db >/dev/null 2>&1)
    awk -v n="$trials" '$NF ~ /^(fsync|fdatasync|pwrite64)$/ { printf "  %-9s %7d calls (%.2f per trial)\n", $NF, $4, $4 / n }' \
        "$dir/strace.txt"
fi

# A peer's study.optimize of the same trials on SQLite in `$2`; prints "wall cpu version".
run_peer() {
    local python=$1 library=$2
    rm -f "$dir/$library.db"*
    "$python" - "$dir/$library.db" "$trials" "$library" <<'EOF'
import importlib.metadata, sys, time, warnings

path, trials, library = sys.argv[1], int(sys.argv[2]), sys.argv[3]
warnings.filterwarnings("ignore")
if library == "optuna":
    import optuna as peer

    peer.logging.set_verbosity(peer.logging.WARNING)
    storage, extra = f"sqlite:///{path}", {"gc_after_trial": False}
else:
    import rustuna as peer

    storage, extra = peer.storages.SQLite3Storage(path), {}


def objective(trial):
    xs = [trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(8)]
    n = trial.suggest_int("n", 1, 100, log=True)
    trial.suggest_categorical("c", ["a", "b", "c", "d"])
    return sum(x * x for x in xs) + n * n


wall0, cpu0 = time.perf_counter(), time.process_time()
study = peer.create_study(storage=storage, sampler=peer.samplers.TPESampler(seed=0), direction="minimize")
study.optimize(objective, n_trials=trials, **extra)
print(f"{time.perf_counter() - wall0:.2f} {time.process_time() - cpu0:.2f} {importlib.metadata.version(library)}")
EOF
}

# Runs the peer when its Python exists and prints its line and the ratio to hpo's TPE run.
measure_peer() {
    local python=$1 library=$2 made_by=$3
    if [ "${SKIP_OPTUNA:-0}" = 1 ]; then
        echo "  ($library left out: SKIP_OPTUNA=1)"
        return
    fi
    if [ ! -x "$python" ]; then
        echo "  ($library left out: no $python; $made_by)"
        return
    fi
    local pwall pcpu pversion
    read -r pwall pcpu pversion <<<"$(run_peer "$python" "$library")"
    printf '  %s %s TPESampler(seed=0), study.optimize on SQLite: wall %.2f s (%s ms/trial), CPU %.2f s\n' \
        "$library" "$pversion" "$pwall" "$(per_trial_ms "$pwall")" "$pcpu"
    awk -v o="$pwall" -v h="${wall[tpe]}" -v oc="$pcpu" -v hc="${cpu[tpe]}" -v name="$library" \
        'BEGIN { printf "  ratio (%s / hpo, TPE): wall %.0fx, CPU %.0fx\n", name, o / h, oc / hc }'
}

measure_peer "${OPTUNA_PYTHON:-$root/../bench-venv/bin/python}" optuna \
    "scripts/bench-env.sh makes it, or set OPTUNA_PYTHON"
measure_peer "${RUSTUNA_PYTHON:-$root/../rustuna-venv/bin/python}" rustuna \
    "scripts/bench-env.sh --rustuna makes it, or set RUSTUNA_PYTHON"
echo "  load at the end $(cut -d' ' -f1 /proc/loadavg)"
