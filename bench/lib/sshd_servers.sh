# shellcheck shell=bash
# OpenSSH servers on loopback for the benchmarks, set up as tests/sshd.rs sets up the test
# servers: their own configuration, host key, authorized key and log in a temp dir, letting in
# only TEST_USER. Sourced by run.sh, which sets WORK (the run's temp dir) and TEST_USER.
#
#   start_sshd_servers N   starts N servers on consecutive free ports: SSHD_PORTS, and
#                          KNOWN_HOSTS and CLIENT_KEY to reach them
#   ssh_options            the options every `ssh` client of the benchmarks uses
#   stop_sshd_servers      kills them (run.sh's exit trap calls it)

SSHD=/usr/sbin/sshd
SSHD_DIR=""
SSHD_PORTS=()
KNOWN_HOSTS=""
CLIENT_KEY=""
# A free port can be taken by someone else before sshd binds it: try again with another range.
BIND_ATTEMPTS=5

start_sshd_servers() {
  local count=$1
  SSHD_DIR="$WORK/sshd"
  mkdir -p "$SSHD_DIR"
  # sshd reads the authorized keys as TEST_USER, through this directory.
  chmod 755 "$WORK" "$SSHD_DIR"
  ssh-keygen -q -t ed25519 -N "" -C runbook-bench-host -f "$SSHD_DIR/host_ed25519"
  CLIENT_KEY="$WORK/client_ed25519"
  ssh-keygen -q -t ed25519 -N "" -C runbook-bench-client -f "$CLIENT_KEY"
  cp "$CLIENT_KEY.pub" "$SSHD_DIR/authorized_keys"
  chmod 644 "$SSHD_DIR/authorized_keys"

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

# Starts servers on base..base+count-1 and waits until each listens. Returns 1 when a port was
# taken meanwhile; any other failure ends the run with the server's log.
start_sshd_range() {
  local base=$1 count=$2 i port
  SSHD_PORTS=()
  for ((i = 0; i < count; i++)); do
    port=$((base + i))
    SSHD_PORTS+=("$port")
    write_sshd_config "$port"
    rm -f "$SSHD_DIR/$port.pid" "$SSHD_DIR/$port.log"
    # Without -D sshd daemonizes; it writes its pid file once it listens.
    "$SSHD" -f "$SSHD_DIR/$port.config" -E "$SSHD_DIR/$port.log" </dev/null
  done
  for port in "${SSHD_PORTS[@]}"; do
    local deadline=$((SECONDS + 10))
    until [ -s "$SSHD_DIR/$port.pid" ]; do
      if grep -qs -e "Address already in use" -e "Cannot bind" "$SSHD_DIR/$port.log"; then
        return 1
      fi
      if [ "$SECONDS" -ge "$deadline" ]; then
        echo "error: sshd on port $port did not start; its log:" >&2
        cat "$SSHD_DIR/$port.log" >&2 || true
        exit 1
      fi
      sleep 0.02
    done
  done
}

write_sshd_config() {
  local port=$1
  # `Port` must come before `ListenAddress`, which otherwise takes the default port.
  cat >"$SSHD_DIR/$port.config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $SSHD_DIR/host_ed25519
PidFile $SSHD_DIR/$port.pid
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
  local kind key _ port
  read -r kind key _ <"$SSHD_DIR/host_ed25519.pub"
  KNOWN_HOSTS="$WORK/known_hosts"
  : >"$KNOWN_HOSTS"
  for port in "${SSHD_PORTS[@]}"; do
    echo "[127.0.0.1]:$port $kind $key" >>"$KNOWN_HOSTS"
  done
}

# The system ssh client as every peer runs it: no ssh_config, only our key and known_hosts.
ssh_options() {
  echo "-F none -n -i $CLIENT_KEY -o UserKnownHostsFile=$KNOWN_HOSTS" \
    "-o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes"
}

stop_sshd_servers() {
  [ -n "$SSHD_DIR" ] || return 0
  local pidfile pid
  for pidfile in "$SSHD_DIR"/*.pid; do
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
