# A demo service kept in the background for `make run` (sourced by scripts/pki_service.sh and
# scripts/eid_provider.sh, which set: name, what it is called; match, a piece of its command
# line; pidfile, ready, log; url, where it answers; tries, tenths of a second to wait for it;
# and define start(), which checks what it must and calls launch COMMAND…).

# The pid in the file, if that process is this service (not another that reused the pid).
running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$match" \
    && echo "$pid"
}

# Start COMMAND… (which writes the file $ready once it listens) unless it runs already.
launch() {
  local pid
  if pid=$(running_pid); then
    echo "$name already running (pid $pid) at $url"
    return 0
  fi
  mkdir -p var
  rm -f "$ready"
  # A session of its own: Ctrl-C on `make run`'s runserver does not stop it.
  setsid "$@" >>"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pidfile"
  for _ in $(seq 1 "$tries"); do
    [ -f "$ready" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ ! -f "$ready" ]; then
    echo "$name did not start (is $url already taken?); the end of $log:" >&2
    tail -n 15 "$log" >&2
    kill "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    return 1
  fi
  echo "$name at $url, pid $pid, log $log"
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
    echo "$name stopped (pid $pid)"
  fi
  rm -f "$pidfile"
}

dispatch() {
  local pid
  case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status)
      if pid=$(running_pid); then echo "running (pid $pid) at $url"; else echo "not running"; exit 3; fi
      ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
  esac
}
