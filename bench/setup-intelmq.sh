#!/usr/bin/env bash
# Makes a virtualenv with IntelMQ 3.5.0 for the baselines in bench/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/.venv-intelmq"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet intelmq==3.5.0
"$venv/bin/python" -c 'import intelmq; print("IntelMQ", intelmq.__version__, "in", "'"$venv"'")'
