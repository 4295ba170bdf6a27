#!/usr/bin/env bash
# Creates the Python environments of the side-by-side benchmarks, beside the repository:
#   ../bench-venv    the bench harness's pinned requirements (Optuna 5.0, Hyperopt, scikit-learn), from
#                    ../shared/bench/requirements.txt
#   ../rustuna-venv  rustuna 0.2.0 (Optuna's Rust port) and numpy, with --rustuna
# Each is made once and left alone when it already imports its packages. hpo itself needs no Python.
#
#   scripts/bench-env.sh [--rustuna]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null 2>&1 || { echo "bench-env.sh: python3 not found" >&2; exit 1; }

requirements=../shared/bench/requirements.txt
if ! ../bench-venv/bin/python -c "import optuna, hyperopt, sklearn" >/dev/null 2>&1; then
    [ -f "$requirements" ] || { echo "bench-env.sh: $requirements not found" >&2; exit 1; }
    echo "creating ../bench-venv from $requirements" >&2
    python3 -m venv ../bench-venv
    ../bench-venv/bin/pip install -q -r "$requirements"
fi

if [ "${1:-}" = --rustuna ] && ! ../rustuna-venv/bin/python -c "import rustuna, numpy" >/dev/null 2>&1; then
    echo "creating ../rustuna-venv (rustuna 0.2.0)" >&2
    python3 -m venv ../rustuna-venv
    ../rustuna-venv/bin/pip install -q "rustuna==0.2.0" numpy
fi
