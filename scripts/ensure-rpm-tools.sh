#!/usr/bin/env bash
# Make rpmbuild, rpm and rpmlint available: the Koji stand-in builds the test RPMs with rpmbuild
# (tests/standins/rpms.py), the python-versions check reads RPM headers with `rpm -qp`, and the
# rpmlint check runs rpmlint. Installs Debian's `rpm` and `rpmlint` where missing. Idempotent;
# prints what it did.
set -euo pipefail

missing=()
command -v rpmbuild >/dev/null 2>&1 || missing+=(rpm)
command -v rpmlint >/dev/null 2>&1 || missing+=(rpmlint)
if [ ${#missing[@]} = 0 ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "ensure-rpm-tools: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "ensure-rpm-tools: ${missing[*]} missing and cannot be installed here" >&2
    exit 0   # the tests that need them then say loudly that they did not run
fi
