#!/usr/bin/env bash
# Creates .venv with Optuna 5.0 for the interoperability check and the side-by-side benchmarks.
# hpo itself needs no Python; exits non-zero when Python or PyPI is not available.
set -uo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null 2>&1 || { echo "python3 not found" >&2; exit 1; }
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import optuna" >/dev/null 2>&1; then
    python3 -m venv .venv >/dev/null && .venv/bin/pip install -q "optuna==5.0.0" PyYAML >/dev/null || exit 1
fi
