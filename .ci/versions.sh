#!/usr/bin/env bash
# The embedding tests in a fresh virtualenv, on the lowest versions pyproject.toml declares
# (`lowest`: .ci/lowest-versions.txt as pip constraints) or on the newest releases it allows
# (`newest`). PIP_CONSTRAINT also reaches the venv tests/test_installed_host.py builds for the
# example host, so the host runs on the same versions.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  lowest) export PIP_CONSTRAINT="$PWD/.ci/lowest-versions.txt" ;;
  newest) unset PIP_CONSTRAINT ;;
  *) echo "usage: $0 lowest|newest" >&2; exit 2 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
python="$work/venv/bin/python"
# --no-compile: byte-compiling the thousands of modules unpacked is half of an install's CPU;
# the tests compile what they import.
"$python" -m pip install -q --no-compile . pytest
"$python" -m pip list --format=freeze \
  | grep -iE '^(dash|flask|flask-login|flask-wtf|werkzeug|sqlalchemy|pandas|numpy|pyarrow)==' \
  | tr '\n' ' ' && echo
# Without the suite's addopts: --headless belongs to dash[testing], which this venv lacks.
"$python" -m pytest -q -p no:cacheprovider -o addopts= \
  tests/test_embedding.py tests/test_installed_host.py tests/test_light_import.py
