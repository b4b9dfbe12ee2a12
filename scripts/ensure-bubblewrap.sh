#!/usr/bin/env bash
# Make bubblewrap (`bwrap`) and util-linux's `unshare` and `prlimit` available for
# `checkline run --sandbox bwrap` and its tests (tests/integration/sandbox). Installs Debian's
# `bubblewrap` where missing. Idempotent; prints what it did. It does not enable user
# namespaces: where they are off, `--sandbox bwrap` says so and fails (no fallback).
set -euo pipefail

if command -v bwrap >/dev/null 2>&1; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "ensure-bubblewrap: installing bubblewrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
else
    echo "ensure-bubblewrap: bubblewrap is not installed and cannot be installed here;" \
        "the sandbox tests are skipped and --sandbox bwrap fails" >&2
    exit 0
fi
