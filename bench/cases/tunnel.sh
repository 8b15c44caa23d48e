# shellcheck shell=bash disable=SC2153 # RUNBOOK, WORK, … come from run.sh
# Case family "tunnel": 100 HTTP GETs made on a host, through the forward runbook opens over
# the host's SSH master (`http_get` in a body `on` the host), against 100 `ssh host curl …`
# over a warm ControlMaster, the way a shell script checks a server-local URL. Twice: against
# Python's http.server (headers and body in two writes) and against a server that answers in
# one write. Sourced by run.sh, which calls bench_tunnel. What it measures and why: README.md.

TUNNEL_SERVER_PIDS=()

bench_tunnel() {
  # The ssh family's servers when it ran first; else one of our own.
  [ ${#SSHD_PORTS[@]} -gt 0 ] || start_sshd_servers 1
  local dir="$WORK/tunnel"
  mkdir -p "$dir/www"
  echo '{"status": "healthy"}' >"$dir/www/health"
  CLEANUPS=(stop_tunnel_bench "${CLEANUPS[@]}")
  # The peer's master, opened before timing.
  # shellcheck disable=SC2046 # the options are words on purpose
  ssh $(ssh_options) -o ControlMaster=auto -o "ControlPath=$dir/cm-%C" -o ControlPersist=60 \
    -p "${SSHD_PORTS[0]}" "$TEST_USER@127.0.0.1" true

  # The "server-local" HTTP servers: on the host's loopback (the bench's hosts are this machine).
  local port
  port="$(free_port_range 1)"
  start_tunnel_server "$dir" "$port" \
    "$SYSTEM_PYTHON" -m http.server "$port" --bind 127.0.0.1 --directory "$dir/www"
  compare_tunnel "$dir" "$port" "100 HTTP GETs on a host (http.server)"
  port="$(free_port_range 1)"
  start_tunnel_server "$dir" "$port" \
    "$SYSTEM_PYTHON" "$BENCH_DIR/lib/one_write_server.py" "$port" "$dir/www/health"
  compare_tunnel "$dir" "$port" "100 HTTP GETs on a host (answer in one write)"
}

# Starts `COMMAND…` in the background and waits until http://localhost:PORT/health answers.
start_tunnel_server() {
  local dir=$1 port=$2
  shift 2
  "$@" >"$dir/http-$port.log" 2>&1 &
  TUNNEL_SERVER_PIDS+=("$!")
  local deadline=$((SECONDS + 10))
  until curl -fsS -o /dev/null "http://localhost:$port/health" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "error: the bench's HTTP server on $port did not start; its log:" >&2
      cat "$dir/http-$port.log" >&2
      exit 1
    fi
    sleep 0.05
  done
}

compare_tunnel() {
  local dir=$1 port=$2 case_name=$3
  local url="http://localhost:$port/health"
  cat >"$dir/gets-$port.rb42" <<EOF
runbook "bench-tunnel" {
  host h01 "$TEST_USER@127.0.0.1:${SSHD_PORTS[0]}" { identity "$CLIENT_KEY" }
  procedure p on h01 {
    step gets { for i in 0..100 { http_get("$url", #{expect: 200}); } }
  }
}
EOF
  local destination="-p ${SSHD_PORTS[0]} $TEST_USER@127.0.0.1"
  cat >"$dir/ssh-curl-$port.sh" <<EOF
# 100 GETs made on the host by curl, one ssh process each, over the master opened before timing.
set -e
i=0
while [ \$i -lt 100 ]; do
  ssh $(ssh_options) -o ControlMaster=auto -o ControlPath=$dir/cm-%C -o ControlPersist=60 $destination curl -fsS -o /dev/null $url
  i=\$((i + 1))
done
EOF
  compare "$case_name" "≤ 0.5" 5 2 "ssh host curl, warm ControlMaster" \
    "$RUNBOOK run --known-hosts $KNOWN_HOSTS --ssh-config none $dir/gets-$port.rb42" \
    "sh $dir/ssh-curl-$port.sh"
}

stop_tunnel_bench() {
  local pid socket
  for pid in "${TUNNEL_SERVER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for socket in "$WORK"/tunnel/cm-*; do
    [ -S "$socket" ] || continue
    ssh -o ControlPath="$socket" -O exit placeholder >/dev/null 2>&1 || true
  done
}
