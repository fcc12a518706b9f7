#!/usr/bin/env bash
# What the console's browser tests need, installed on a fresh machine: Debian's chromium
# (Playwright drives it through executable_path; no browser download) and axe-core from
# npm (the accessibility check). Idempotent; run by `make test`. Without root and without
# chromium it says so and the browser tests skip with that reason.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null
    apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends chromium >/dev/null
  else
    echo "browser-deps: chromium is not installed and this user cannot apt-get it; browser tests will skip" >&2
  fi
fi

AXE=.tools/npm/node_modules/axe-core/axe.min.js
if [ ! -f "$AXE" ]; then
  if command -v npm >/dev/null 2>&1; then
    mkdir -p .tools/npm
    npm install --silent --no-audit --no-fund --prefix .tools/npm axe-core@4 >/dev/null
  else
    echo "browser-deps: npm is missing; the accessibility check will skip" >&2
  fi
fi
