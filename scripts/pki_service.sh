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

# The pid in the file, if that process is this service (not another that reused the pid).
running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "signing.pki_service" \
    && echo "$pid"
}

start() {
  local pid port
  if pid=$(running_pid); then
    echo "Demo PKI service already running (pid $pid) at $url"
    return 0
  fi
  if [ -z "${SIGNING_DEMO_PKI_URL-unset}" ]; then
    echo "SIGNING_DEMO_PKI_URL is empty: demo certificates point to no PKI service; not started"
    return 0
  fi
  port=$("$PY" -c 'import sys, urllib.parse as u; print(u.urlsplit(sys.argv[1]).port or 80)' "$url")
  mkdir -p var
  rm -f "$ready"
  # A session of its own: Ctrl-C on `make run`'s runserver does not stop it.
  setsid "$PY" -m signing.pki_service --dir "$dir" --host 127.0.0.1 --port "$port" \
    --base-url "$url" --ready-file "$ready" >>"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pidfile"
  for _ in $(seq 1 150); do
    [ -f "$ready" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ ! -f "$ready" ]; then
    echo "The demo PKI service did not start (port $port taken?); the end of $log:" >&2
    tail -n 15 "$log" >&2
    kill "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    return 1
  fi
  echo "Demo PKI service (CRL, OCSP, timestamps) at $url, pid $pid, log $log"
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
    echo "Demo PKI service stopped (pid $pid)"
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
