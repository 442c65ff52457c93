#!/usr/bin/env bash
# Set up (with test tools) and run the checks: ruff, then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check src tests bench
.venv/bin/python -m pytest "$@"
