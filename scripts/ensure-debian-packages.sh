#!/usr/bin/env bash
# Install the Debian packages given as arguments when any of them is missing; idempotent.
#
#   bash scripts/ensure-debian-packages.sh redis-server postgresql
#
# Why a script: tests that run real servers (Redis, PostgreSQL, Chromium, ...) need them
# on a fresh CI machine, and `make` targets call this before those tests. A package is
# "present" when dpkg says it is installed; only then is nothing done (no apt-get update,
# no network). Needs root or sudo when something is missing.
set -euo pipefail

missing=()
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
else
    echo "missing Debian packages: ${missing[*]} (run as root: apt-get install -y ${missing[*]})" >&2
    exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
# policy-rc.d: Debian's postinst would start a system-wide server; tests start their own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod +x /usr/sbin/policy-rc.d
    trap '"${SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
fi
"${SUDO[@]}" apt-get install -y -q "${missing[@]}"
