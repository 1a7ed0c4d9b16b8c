#!/usr/bin/env bash
# The local national eID provider (eid_provider/, DEMO only) in the background, for `make run`:
# the portal's development settings point their EID_OIDC_* to it.
#   eid_provider.sh start    start it, unless it runs already
#   eid_provider.sh stop     stop it
#   eid_provider.sh status
# It serves on 127.0.0.1:${EID_PROVIDER_PORT:-8792} with its data (SQLite database, RSA key) in
# ${EID_PROVIDER_DATA_DIR:-var/eid-provider}, with PY (default .venv/bin/python); its pid is kept
# in var/eid-provider.pid and its log in var/eid-provider.log. Not started when
# PORTAL_ENV=production, nor when EID_OIDC_ISSUER is set to another provider.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
port=${EID_PROVIDER_PORT:-8792}
dir=${EID_PROVIDER_DATA_DIR:-var/eid-provider}
pidfile=var/eid-provider.pid
ready=var/eid-provider.ready
log=var/eid-provider.log
url="http://127.0.0.1:$port"

name="Demo eID provider (VNeID stand-in, OpenID Connect)"
match="eid_provider serve"
tries=600
# shellcheck source=scripts/background.sh
. scripts/background.sh

start() {
  if [ "${PORTAL_ENV:-development}" = "production" ]; then
    echo "PORTAL_ENV=production: the demo eID provider is not started"
    return 0
  fi
  if [ -n "${EID_OIDC_ISSUER+set}" ] && [ "${EID_OIDC_ISSUER}" != "$url/o" ]; then
    echo "EID_OIDC_ISSUER is ${EID_OIDC_ISSUER:-empty}: the demo eID provider is not started"
    return 0
  fi
  launch "$PY" -m eid_provider serve --host 127.0.0.1 --port "$port" --data-dir "$dir" \
    --ready-file "$ready"
}

dispatch "${1:-}"
