#!/usr/bin/env bash
# Makes what the browser tests need: Debian's Chromium and its driver, the
# CJK fonts (so a Korean comment shows as Hangul in screenshots), and a
# virtual environment with Selenium in target/browser-venv. Idempotent: a
# second run installs nothing. Nothing here downloads a browser build;
# Selenium talks to /usr/bin/chromedriver.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Pinned with every dependency in requirements.txt (the newest Selenium,
# 4.52.0, needs a certifi newer than the registry served on 2026-12-06).
SELENIUM_VERSION=4.51.0
VENV=target/browser-venv

apt_updated=
need_pkg() { # need_pkg PACKAGE...: apt-get install the ones not installed
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) != 0 ]] && ! command -v sudo >/dev/null; then
    echo "missing packages: ${missing[*]} (install them as root)" >&2
    return 1
  fi
  local sudo=; [[ $(id -u) == 0 ]] || sudo=sudo
  if [[ -z $apt_updated ]]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  echo "-- apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

if [[ ${1:-} != --venv-only ]]; then
  need_pkg chromium chromium-driver python3-venv fonts-noto-cjk
fi

if ! "$VENV/bin/python" -c "import selenium, sys; sys.exit(selenium.__version__ != '$SELENIUM_VERSION')" 2>/dev/null; then
  echo "-- making $VENV with selenium==$SELENIUM_VERSION"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet -r tests/browser/requirements.txt
fi
echo "browser tests ready: $("$VENV/bin/python" -c 'import selenium; print("selenium", selenium.__version__)'), $(chromium --version 2>/dev/null | head -1)"
