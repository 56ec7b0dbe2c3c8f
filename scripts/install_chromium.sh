#!/usr/bin/env bash
# Install Debian's chromium (and a Korean font for the dashboard's 조/억 labels) for the
# browser tests (tests/present/test_web_browser.py), only when missing: idempotent.
# Playwright drives this system browser; `playwright install` (its own download) is
# never used.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi nanum; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-nanum >/dev/null
command -v chromium
