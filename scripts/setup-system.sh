#!/usr/bin/env bash
# Installs the Debian packages Puesta's tests need (real sshd hosts, nginx, HAProxy, PostgreSQL,
# supervisor, Chromium for the UI tests), when they are missing. Idempotent and quick when
# everything is there. Called by `npm test`; safe to run by hand: `npm run setup:system`.
set -euo pipefail

PKGS=(openssh-server openssh-client nginx haproxy postgresql supervisor chromium xvfb logrotate rsync procps iproute2 iptables fonts-dejavu-core sudo git systemd curl)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" != "0" ]; then
  echo "[puesta] the tests need these Debian packages: ${missing[*]}" >&2
  echo "[puesta] install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "[puesta] installing Debian packages for the tests: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# None of these services may run on their own: the test harness starts private instances.
for s in ssh nginx haproxy postgresql supervisor; do
  (service "$s" stop >/dev/null 2>&1 || true)
done
echo "[puesta] Debian packages installed."
