# shellcheck shell=bash
# OpenSSH servers on loopback for the benchmarks, set up as tests/sshd.rs sets up the test
# servers: their own configuration, host key, authorized key and log in a temp dir, letting in
# only TEST_USER. Sourced by run.sh, which sets WORK (the run's temp dir) and TEST_USER.
#
#   start_sshd_servers N   starts N servers on consecutive free ports: SSHD_PORTS, and
#                          KNOWN_HOSTS and CLIENT_KEY to reach them
#   start_fleet_servers N  N hosts on the loopback addresses 127.0.1.1 to 127.0.1.N, one port
#                          (FLEET_PORT), 16 addresses per server: FLEET_ADDRESSES, and
#                          FLEET_KNOWN_HOSTS and CLIENT_KEY to reach them
#   ssh_options [KNOWN_HOSTS]  the options every `ssh` client of the benchmarks uses
#   stop_sshd_servers [PREFIX]  kills them, or those whose name starts with PREFIX (run.sh's
#                          exit trap calls it)

SSHD=/usr/sbin/sshd
SSHD_DIR=""
SSHD_PORTS=()
KNOWN_HOSTS=""
CLIENT_KEY=""
FLEET_PORT=""
FLEET_ADDRESSES=()
FLEET_KNOWN_HOSTS=""
# A free port can be taken by someone else before sshd binds it: try again with another range.
BIND_ATTEMPTS=5

start_sshd_servers() {
  local count=$1
  make_sshd_keys
  local attempt base
  for ((attempt = 1; attempt <= BIND_ATTEMPTS; attempt++)); do
    base="$(free_port_range "$count")"
    if start_sshd_range "$base" "$count"; then
      write_known_hosts
      return 0
    fi
    stop_sshd_servers
  done
  echo "error: no $count free consecutive ports for sshd in $BIND_ATTEMPTS attempts" >&2
  exit 1
}

# The host key every server uses and the client key every client uses, made once per run (the
# ssh and fleet families share them).
make_sshd_keys() {
  [ -z "$CLIENT_KEY" ] || return 0
  SSHD_DIR="$WORK/sshd"
  mkdir -p "$SSHD_DIR"
  # sshd reads the authorized keys as TEST_USER, through this directory.
  chmod 755 "$WORK" "$SSHD_DIR"
  ssh-keygen -q -t ed25519 -N "" -C runbook-bench-host -f "$SSHD_DIR/host_ed25519"
  CLIENT_KEY="$WORK/client_ed25519"
  ssh-keygen -q -t ed25519 -N "" -C runbook-bench-client -f "$CLIENT_KEY"
  cp "$CLIENT_KEY.pub" "$SSHD_DIR/authorized_keys"
  chmod 644 "$SSHD_DIR/authorized_keys"
}

# Starts servers on base..base+count-1 and waits until each listens. Returns 1 when a port was
# taken meanwhile; any other failure ends the run with the server's log.
start_sshd_range() {
  local base=$1 count=$2 i port
  SSHD_PORTS=()
  for ((i = 0; i < count; i++)); do
    port=$((base + i))
    SSHD_PORTS+=("$port")
    launch_sshd "$port" "$port" 127.0.0.1
  done
  for port in "${SSHD_PORTS[@]}"; do
    wait_sshd "$port" || return 1
  done
}

# One fleet of `count` hosts on 127.0.1.1 … 127.0.1.count, all on one free port. OpenSSH caps
# a server at 16 listening sockets, so the fleet takes count / 16 servers (13 for 200 hosts).
start_fleet_servers() {
  local count=$1 per_server=16
  make_sshd_keys
  FLEET_ADDRESSES=()
  local i
  for ((i = 1; i <= count; i++)); do
    FLEET_ADDRESSES+=("127.0.1.$i")
  done
  local attempt server
  for ((attempt = 1; attempt <= BIND_ATTEMPTS; attempt++)); do
    FLEET_PORT="$(free_port_range 1)"
    local names=()
    for ((i = 0; i < count; i += per_server)); do
      server="fleet-$((i / per_server + 1))"
      names+=("$server")
      launch_sshd "$server" "$FLEET_PORT" "${FLEET_ADDRESSES[@]:i:per_server}"
    done
    local started=1
    for server in "${names[@]}"; do
      wait_sshd "$server" || { started=0 && break; }
    done
    if [ "$started" = 1 ]; then
      FLEET_KNOWN_HOSTS="$WORK/fleet_known_hosts"
      known_host_lines "$FLEET_PORT" "${FLEET_ADDRESSES[@]}" >"$FLEET_KNOWN_HOSTS"
      return 0
    fi
    stop_sshd_servers "fleet-"
  done
  echo "error: no free port for the fleet's sshd servers in $BIND_ATTEMPTS attempts" >&2
  exit 1
}

# Starts the server NAME on PORT of the given addresses, daemonized.
launch_sshd() {
  local name=$1 port=$2
  shift 2
  write_sshd_config "$name" "$port" "$@"
  rm -f "$SSHD_DIR/$name.pid" "$SSHD_DIR/$name.log"
  # Without -D sshd daemonizes; it writes its pid file once it listens.
  "$SSHD" -f "$SSHD_DIR/$name.config" -E "$SSHD_DIR/$name.log" </dev/null
}

# Waits until the server NAME listens. Returns 1 when its port was taken; any other failure
# ends the run with the server's log.
wait_sshd() {
  local name=$1
  local deadline=$((SECONDS + 10))
  until [ -s "$SSHD_DIR/$name.pid" ]; do
    if grep -qs -e "Address already in use" -e "Cannot bind" "$SSHD_DIR/$name.log"; then
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "error: sshd $name did not start; its log:" >&2
      cat "$SSHD_DIR/$name.log" >&2 || true
      exit 1
    fi
    sleep 0.02
  done
}

# MaxStartups and MaxSessions well above OpenSSH's defaults (10:30:100 and 10): a fan-out opens
# as many connections at once as it has forks, and the defaults would refuse or delay them.
write_sshd_config() {
  local name=$1 port=$2 address
  shift 2
  # `Port` must come before `ListenAddress`, which otherwise takes the default port.
  {
    echo "Port $port"
    for address in "$@"; do
      echo "ListenAddress $address"
    done
  } >"$SSHD_DIR/$name.config"
  cat >>"$SSHD_DIR/$name.config" <<EOF
HostKey $SSHD_DIR/host_ed25519
PidFile $SSHD_DIR/$name.pid
AuthorizedKeysFile $SSHD_DIR/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers $TEST_USER
LogLevel ERROR
MaxSessions 100
MaxStartups 100:30:200
UseDNS no
PrintMotd no
EOF
}

write_known_hosts() {
  KNOWN_HOSTS="$WORK/known_hosts"
  local port
  for port in "${SSHD_PORTS[@]}"; do
    known_host_lines "$port" 127.0.0.1
  done >"$KNOWN_HOSTS"
}

# The known_hosts lines of the one host key, for each ADDRESS on PORT.
known_host_lines() {
  local port=$1 kind key _ address
  shift
  read -r kind key _ <"$SSHD_DIR/host_ed25519.pub"
  for address in "$@"; do
    echo "[$address]:$port $kind $key"
  done
}

# The system ssh client as every peer runs it: no ssh_config, only our key and known_hosts (or
# the known_hosts file given).
ssh_options() {
  echo "-F none -n -i $CLIENT_KEY -o UserKnownHostsFile=${1:-$KNOWN_HOSTS}" \
    "-o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes"
}

stop_sshd_servers() {
  local prefix=${1:-}
  [ -n "$SSHD_DIR" ] || return 0
  local pidfile pid
  for pidfile in "$SSHD_DIR/$prefix"*.pid; do
    [ -e "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    # Only the listeners we started; their sessions end with their clients.
    if [ -n "$pid" ]; then
      kill "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

# The first of `count` consecutive ports that are free right now on 127.0.0.1.
free_port_range() {
  "$SYSTEM_PYTHON" - "$1" <<'EOF'
import random, socket, sys
count = int(sys.argv[1])
while True:
    base = random.randrange(20000, 60000 - count)
    held = []
    try:
        for port in range(base, base + count):
            s = socket.socket()
            held.append(s)
            s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        for s in held:
            s.close()
    print(base)
    break
EOF
}
