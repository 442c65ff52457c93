#!/usr/bin/env bash
# Set up (with test tools) and run the checks: ruff, then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check src tests bench
# Two test processes (pytest-xdist), each test file in one of them so that its module
# fixtures (a scanned dump, the hostile corpus) are built once: 1 241 s -> 963 s on the
# 2-core machine, against CI's 30-minute budget (docs/testing.md).
.venv/bin/python -m pytest -n "${BREACHSCOPE_TEST_PROCESSES:-2}" --dist loadfile "$@"
