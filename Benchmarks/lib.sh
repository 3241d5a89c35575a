# Shared by the benchmark scripts (sourced, not run).

# find_python NAME MODULES...: sets PY to $PYTHON, else python3 if it imports MODULES, else the
# fixtures venv next to the repository (../.venv-fixtures); exits with a message naming NAME.
find_python() {
    local name=$1; shift
    local imports; imports=$(IFS=,; echo "$*")
    if [ -n "${PYTHON:-}" ]; then
        PY=$PYTHON
    elif python3 -c "import $imports" >/dev/null 2>&1; then
        PY=python3
    elif [ -x "$ROOT/../.venv-fixtures/bin/python" ]; then
        PY="$ROOT/../.venv-fixtures/bin/python"
    else
        echo "$name: no Python with $*; set PYTHON=/path/to/python" >&2
        exit 1
    fi
}
