#!/usr/bin/env bash
# Install the Debian packages the test suite needs, only when their program is missing.
#
#   scripts/ensure-debian-packages.sh
#
# `make test` runs this first, so a fresh machine (CI included) gets them from Debian's
# packages; on a machine that has them it does nothing (no apt call, no network).
#   chromium -> /usr/bin/chromium: the browser tests (tests/e2e/browser) drive it with
#               Playwright; no browser is ever downloaded by Playwright itself.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

# program -> Debian package
declare -A NEEDED=(
  [/usr/bin/chromium]=chromium
)

missing=()
for program in "${!NEEDED[@]}"; do
  [ -x "$program" ] || missing+=("${NEEDED[$program]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing ${missing[*]} and no apt-get: install them with your package manager" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root to install ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q "${missing[@]}"
