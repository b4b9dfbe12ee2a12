#!/usr/bin/env bash
# Make the system's Python 3 ready to run check code: the python directive runs it under
# /usr/bin/python3 by default (runner/interpreter.py), where Taskotron-era checks import the
# RPM bindings (`import rpm`, a test reads real RPMs with them) and Checkline's checks import
# PyYAML. Installs Debian's `python3`, `python3-rpm` and `python3-yaml` where missing.
# Idempotent; prints what it did.
set -euo pipefail

python=/usr/bin/python3
missing=()
if [ -x "$python" ]; then
    "$python" -c 'import rpm' >/dev/null 2>&1 || missing+=(python3-rpm)
    "$python" -c 'import yaml' >/dev/null 2>&1 || missing+=(python3-yaml)
else
    missing+=(python3 python3-rpm python3-yaml)
fi
if [ ${#missing[@]} = 0 ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "ensure-system-python: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "ensure-system-python: ${missing[*]} missing and cannot be installed here" >&2
    exit 0   # the tests that need them then say loudly that they did not run
fi
