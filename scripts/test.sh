#!/usr/bin/env bash
# The whole test suite: system packages, build, unit and end-to-end tests, lint, and the Optuna
# interoperability check (skipped with a message when Python or PyPI is not available).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift format lint --strict --recursive Sources Tests Package.swift
# One debug build of everything (the hpo binary included) with testing enabled, then the tests.
swift build --build-tests
swift test --skip-build 2>&1 | tee .build/test-output.txt
if scripts/python-env.sh; then
    HPO_BIN=.build/debug/hpo .venv/bin/python scripts/check_optuna_interop.py
else
    echo "optuna interoperability check: skipped (no Python environment with optuna could be made)"
fi
