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

# The pid in the file, if that process is this service (not another that reused the pid).
running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "eid_provider serve" \
    && echo "$pid"
}

start() {
  local pid
  if [ "${PORTAL_ENV:-development}" = "production" ]; then
    echo "PORTAL_ENV=production: the demo eID provider is not started"
    return 0
  fi
  if [ -n "${EID_OIDC_ISSUER+set}" ] && [ "${EID_OIDC_ISSUER}" != "$url/o" ]; then
    echo "EID_OIDC_ISSUER is ${EID_OIDC_ISSUER:-empty}: the demo eID provider is not started"
    return 0
  fi
  if pid=$(running_pid); then
    echo "Demo eID provider already running (pid $pid) at $url"
    return 0
  fi
  mkdir -p var
  rm -f "$ready"
  # A session of its own: Ctrl-C on `make run`'s runserver does not stop it.
  setsid "$PY" -m eid_provider serve --host 127.0.0.1 --port "$port" --data-dir "$dir" \
    --ready-file "$ready" >>"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pidfile"
  for _ in $(seq 1 600); do
    [ -f "$ready" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ ! -f "$ready" ]; then
    echo "The demo eID provider did not start (port $port taken?); the end of $log:" >&2
    tail -n 15 "$log" >&2
    kill "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    return 1
  fi
  echo "Demo eID provider (VNeID stand-in, OpenID Connect) at $url, pid $pid, log $log"
}

stop() {
  local pid
  if pid=$(running_pid); then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid"
    fi
    echo "Demo eID provider stopped (pid $pid)"
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if pid=$(running_pid); then echo "running (pid $pid) at $url"; else echo "not running"; exit 3; fi
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
