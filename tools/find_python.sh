#!/usr/bin/env bash
# Print the full path of a Python the course supports: CPython 3.11.5 up to 3.13
# (pyproject.toml's requires-python; tests/test_environment.py keeps the two in agreement).
#
#   tools/find_python.sh            the newest of python3.13, python3.12, python3.11, python3
#   tools/find_python.sh PYTHON     check that one (a command name or a path)
#
# Each candidate is run, not just looked up: a pyenv shim exists for every version pyenv has, but
# fails unless that version is selected. Exit status 1, with what to do, when none is usable.
set -u

MINIMUM=(3 11 5) # oldest supported version (soupsieve needs 3.11.5)
BELOW=(3 14)     # first unsupported version (TensorFlow 2.21 has no 3.14 wheels)
SUPPORTED="CPython 3.11.5 up to 3.13"

if [ $# -gt 0 ]; then candidates=("$1"); else candidates=(python3.13 python3.12 python3.11 python3); fi

# "major minor micro /path/to/executable" of a candidate, or nothing when it does not run.
probe() {
  "$1" -c 'import sys; print(*sys.version_info[:3], sys.executable)' 2>/dev/null
}

# True when version $1.$2.$3 lies in [MINIMUM, BELOW).
supported() {
  local major=$1 minor=$2 micro=$3
  if ((major != MINIMUM[0])); then return 1; fi
  if ((minor < MINIMUM[1] || minor >= BELOW[1])); then return 1; fi
  if ((minor == MINIMUM[1] && micro < MINIMUM[2])); then return 1; fi
  return 0
}

tried=()
for candidate in "${candidates[@]}"; do
  if ! command -v "$candidate" >/dev/null 2>&1; then
    tried+=("$candidate: not found")
    continue
  fi
  read -r major minor micro executable < <(probe "$candidate")
  if [ -z "${executable:-}" ]; then
    tried+=("$candidate: does not run (a pyenv shim for a version that is not selected?)")
  elif supported "$major" "$minor" "$micro"; then
    echo "$executable"
    exit 0
  else
    tried+=("$candidate: Python $major.$minor.$micro, not supported")
  fi
  unset major minor micro executable
done

{
  if [ $# -gt 0 ]; then
    echo "error: the course needs $SUPPORTED, and PYTHON=$1 is not one:"
  else
    echo "error: the course needs $SUPPORTED, and none was found:"
  fi
  printf '  %s\n' "${tried[@]}"
  echo "Install one (python.org; macOS: brew install python@3.13; Ubuntu 24.04: sudo apt install"
  echo "python3.12-venv; or pyenv install 3.13), or name one: make env PYTHON=/path/to/python3.13"
} >&2
exit 1
