#!/usr/bin/env bash
# Installs the Debian packages the portal needs, only those missing.
#   system-deps.sh run    what the site needs (WeasyPrint's libraries, fonts, gettext, and
#                         SoftHSM2: the leaders' demo PKCS#11 tokens and the CSC simulator's keys)
#   system-deps.sh test   + headless Chromium, poppler (pdfsig) and NSS tools for the tests
#   system-deps.sh bench  + wrk for the HTTP benchmarks
set -euo pipefail
mode=${1:-run}

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 fonts-noto-core
          fonts-dejavu-core gettext softhsm2)
if [ "$mode" = test ]; then
  packages+=(chromium poppler-utils libnss3-tools)
elif [ "$mode" = bench ]; then
  packages+=(wrk)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "Missing system packages (${missing[*]}) and no apt-get: install them by hand." >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
