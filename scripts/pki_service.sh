#!/usr/bin/env bash
# The demo PKI's CRL, OCSP responder and timestamp authority (signing/pki_service.py) in the
# background, for `make run`: the demo certificates point to it (SIGNING_DEMO_PKI_URL).
#   pki_service.sh start    start it, unless it runs already
#   pki_service.sh stop     stop it
#   pki_service.sh status
# It serves SIGNING_DEMO_PKI_DIR (default var/pki) on 127.0.0.1, at the port of
# SIGNING_DEMO_PKI_URL (default 8790), with PY (default .venv/bin/python); its pid is kept in
# var/pki-service.pid and its log in var/pki-service.log. DEMO — not for production.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
dir=${SIGNING_DEMO_PKI_DIR:-var/pki}
url=${SIGNING_DEMO_PKI_URL:-http://127.0.0.1:8790}
pidfile=var/pki-service.pid
ready=var/pki-service.ready
log=var/pki-service.log

name="Demo PKI service (CRL, OCSP, timestamps)"
match="signing.pki_service"
tries=150
# shellcheck source=scripts/background.sh
. scripts/background.sh

start() {
  local port
  if [ -z "${SIGNING_DEMO_PKI_URL-unset}" ]; then
    echo "SIGNING_DEMO_PKI_URL is empty: demo certificates point to no PKI service; not started"
    return 0
  fi
  port=$("$PY" -c 'import sys, urllib.parse as u; print(u.urlsplit(sys.argv[1]).port or 80)' "$url")
  launch "$PY" -m signing.pki_service --dir "$dir" --host 127.0.0.1 --port "$port" \
    --base-url "$url" --ready-file "$ready"
}

dispatch "${1:-}"
