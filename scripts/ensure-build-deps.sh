#!/usr/bin/env bash
# Make what `pip install` needs to build Checkline's dependencies available before it runs:
# koji requires requests-gssapi, whose `gssapi` has no Linux wheel and compiles against the
# Kerberos headers (krb5-config). Installs Debian's `libkrb5-dev` (and gcc) where missing.
# Idempotent; prints what it did.
set -euo pipefail

missing=()
command -v krb5-config >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
if [ ${#missing[@]} = 0 ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "ensure-build-deps: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "ensure-build-deps: ${missing[*]} missing and cannot be installed here;" \
        "pip will fail to build gssapi (a dependency of koji)" >&2
    exit 0
fi
