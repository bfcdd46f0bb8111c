#!/usr/bin/env bash
# Makes a virtualenv with DuckDB for `kizuki bench attribution --baseline-python`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/.venv-duckdb"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet "duckdb==2.0.1"
"$venv/bin/python" -c 'import duckdb; print("DuckDB", duckdb.__version__, "in", "'"$venv"'")'
