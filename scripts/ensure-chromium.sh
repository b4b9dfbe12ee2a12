#!/usr/bin/env bash
# Make headless Chromium available at /usr/bin/chromium for the browser tests of the ResultsDB
# pages (Playwright drives it through executable_path; `playwright install` is never run, as it
# downloads browser builds). Installs Debian's `chromium` where missing. Idempotent; prints
# what it did.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "ensure-chromium: installing chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
    echo "ensure-chromium: Chromium is not installed and cannot be installed here" >&2
    exit 0   # the browser tests then say loudly that they did not run
fi
