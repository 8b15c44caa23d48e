# shellcheck shell=bash disable=SC2153 # RUNBOOK, WORK, … come from run.sh
# Case family "ssh": remote commands over SSH against the tools users would pick instead, the
# `ssh` client, pyinfra and Ansible; the dry-run against pyinfra's; fan-out against one host; the
# memory of a fan-out. Sourced by run.sh, which calls bench_ssh. What each case measures and why
# it is set up this way: README.md.

SSH_HOSTS=20

bench_ssh() {
  start_sshd_servers "$SSH_HOSTS"
  local dir="$WORK/ssh"
  mkdir -p "$dir" "$WORK/ansible/tmp" "$WORK/ansible/cp"
  CLEANUPS=(close_ssh_masters "${CLEANUPS[@]}")

  write_ssh_runbooks "$dir"
  write_ssh_scripts "$dir"
  write_ansible_files "$dir"
  write_pyinfra_files "$dir"
  export ANSIBLE_CONFIG="$dir/ansible.cfg" ANSIBLE_HOME="$WORK/ansible" LC_ALL=C.UTF-8
  local runbook="$RUNBOOK run --known-hosts $KNOWN_HOSTS --ssh-config none"
  local playbook="$VENV/bin/ansible-playbook"
  local pyinfra="$VENV/bin/pyinfra --chdir $dir inventory.py sequential.py"

  # Case 1: 100 sequential trivial commands on one host.
  local sequential="100 sequential commands, 1 host"
  # The master the timed loop uses, opened before timing (it would otherwise open on the
  # first command of the first run).
  # shellcheck disable=SC2046 # the options are words on purpose
  ssh $(ssh_options) -o ControlMaster=auto -o "ControlPath=$dir/cm-%C" -o ControlPersist=60 \
    -p "${SSHD_PORTS[0]}" "$TEST_USER@127.0.0.1" true
  compare "$sequential" "≤ 0.8" 5 2 "ssh, warm ControlMaster" \
    "$runbook $dir/sequential.rb42" "sh $dir/ssh-warm-sequential.sh"
  compare "$sequential" "-" 3 1 "ssh, new connection each" \
    "$runbook $dir/sequential.rb42" "sh $dir/ssh-cold-sequential.sh"
  compare "$sequential" "≤ 0.33" 5 1 "pyinfra, 100 server.shell" \
    "$runbook $dir/sequential.rb42" "$pyinfra --yes"
  compare "$sequential" "≤ 0.05" 3 1 "ansible-playbook" \
    "$runbook $dir/sequential.rb42" "$playbook $dir/sequential.yml"

  # Case 2: the dry-run of the same 100 commands.
  compare "dry-run of 100 remote commands" "≤ 0.05" 5 2 "pyinfra --dry" \
    "$RUNBOOK plan --known-hosts $KNOWN_HOSTS --ssh-config none $dir/sequential.rb42" \
    "$pyinfra --dry"

  # Case 3: one command on 20 hosts at once, every connection new.
  local fan_out="1 command on $SSH_HOSTS hosts at once"
  compare "$fan_out" "-" 5 2 "$SSH_HOSTS × ssh in parallel" \
    "$runbook $dir/fan-out.rb42" "sh $dir/ssh-fan-out.sh"
  compare "$fan_out" "-" 5 1 "ansible-playbook, forks $SSH_HOSTS" \
    "$runbook $dir/fan-out.rb42" "$playbook $dir/fan-out.yml"
  compare "$fan_out" "≤ 2.0" 5 2 "runbook, the command on 1 host" \
    "$runbook $dir/fan-out.rb42" "$runbook $dir/one-host.rb42"
  # The same with a key exchange 7 times cheaper in client CPU (README.md: where the time goes).
  compare "$fan_out, curve25519 key exchange" "≤ 2.0" 5 2 "runbook, the command on 1 host" \
    "$runbook $dir/fan-out-curve25519.rb42" "$runbook $dir/one-host-curve25519.rb42"
  measure "memory: run on $SSH_HOSTS hosts at once" 3 2 \
    "runbook run fan-out" - - - - "$runbook $dir/fan-out.rb42"
}

host_name() { printf 'h%02d' "$1"; }

write_ssh_runbooks() {
  local dir=$1
  write_host_runbooks "$dir" "" ""
  write_host_runbooks "$dir" -curve25519 ' option "KexAlgorithms" "curve25519-sha256"'
}

# The runbooks of the cases, their hosts with the given extra settings, named with SUFFIX.
write_host_runbooks() {
  local dir=$1 suffix=$2 settings=$3 i
  local hosts=""
  for ((i = 1; i <= SSH_HOSTS; i++)); do
    hosts+="  host $(host_name "$i") \"$TEST_USER@127.0.0.1:${SSHD_PORTS[i - 1]}\" { identity \"$CLIENT_KEY\"$settings }"$'\n'
  done
  {
    echo 'runbook "bench-sequential" {'
    printf '%s' "$hosts"
    echo "  procedure p on $(host_name 1) {"
    for ((i = 1; i <= 100; i++)); do
      echo "    step s$i { run(\"true\"); }"
    done
    echo '  }'
    echo '}'
  } >"$dir/sequential$suffix.rb42"
  cat >"$dir/one-host$suffix.rb42" <<EOF
runbook "bench-one-host" {
$hosts  procedure p {
    step s on $(host_name 1) { run("true"); }
  }
}
EOF
  local members=""
  for ((i = 1; i <= SSH_HOSTS; i++)); do
    members+="${members:+, }$(host_name "$i")"
  done
  cat >"$dir/fan-out$suffix.rb42" <<EOF
runbook "bench-fan-out" {
$hosts  group web [$members]
  procedure p {
    step s on web forks $SSH_HOSTS { run("true"); }
  }
}
EOF
}

write_ssh_scripts() {
  local dir=$1 port
  local destination="-p ${SSHD_PORTS[0]} $TEST_USER@127.0.0.1"
  cat >"$dir/ssh-warm-sequential.sh" <<EOF
# 100 trivial commands, one ssh process each, multiplexed over the master opened before timing.
set -e
i=0
while [ \$i -lt 100 ]; do
  ssh $(ssh_options) -o ControlMaster=auto -o ControlPath=$dir/cm-%C -o ControlPersist=60 $destination true
  i=\$((i + 1))
done
EOF
  cat >"$dir/ssh-cold-sequential.sh" <<EOF
# 100 trivial commands, one ssh process and one new connection each.
set -e
i=0
while [ \$i -lt 100 ]; do
  ssh $(ssh_options) -o ControlMaster=no -o ControlPath=none $destination true
  i=\$((i + 1))
done
EOF
  # shellcheck disable=SC2016 # the single-quoted lines are for the generated script
  {
    echo "# One trivial command on each of the $SSH_HOSTS hosts at once, a new connection each."
    echo 'pids=""'
    for port in "${SSHD_PORTS[@]}"; do
      echo "ssh $(ssh_options) -o ControlMaster=no -o ControlPath=none -p $port $TEST_USER@127.0.0.1 true &"
      echo 'pids="$pids $!"'
    done
    echo 'failed=0'
    echo 'for pid in $pids; do wait "$pid" || failed=1; done'
    echo 'exit $failed'
  } >"$dir/ssh-fan-out.sh"
}

write_ansible_files() {
  local dir=$1 i
  {
    echo '[web]'
    for ((i = 1; i <= SSH_HOSTS; i++)); do
      echo "$(host_name "$i") ansible_port=${SSHD_PORTS[i - 1]}"
    done
    echo
    echo '[all:vars]'
    echo 'ansible_host=127.0.0.1'
    echo "ansible_user=$TEST_USER"
    echo "ansible_ssh_private_key_file=$CLIENT_KEY"
    echo "ansible_ssh_common_args='-F none -o UserKnownHostsFile=$KNOWN_HOSTS -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes'"
    echo 'ansible_python_interpreter=/usr/bin/python3'
  } >"$dir/inventory.ini"
  # Ansible's default ssh_args stay (ControlMaster=auto, ControlPersist=60s): its master
  # outlives each run, as it does for a user running playbooks in a row. Pipelining is
  # Ansible's own advice for speed, off by default.
  cat >"$dir/ansible.cfg" <<EOF
[defaults]
inventory = $dir/inventory.ini
gathering = explicit
host_key_checking = True
retry_files_enabled = False
forks = $SSH_HOSTS
local_tmp = $WORK/ansible/tmp

[ssh_connection]
pipelining = True
control_path_dir = $WORK/ansible/cp
EOF
  {
    echo "- hosts: $(host_name 1)"
    echo '  gather_facts: false'
    echo '  tasks:'
    for ((i = 1; i <= 100; i++)); do
      echo "    - command: \"true\""
    done
  } >"$dir/sequential.yml"
  cat >"$dir/fan-out.yml" <<EOF
- hosts: web
  gather_facts: false
  tasks:
    - command: "true"
EOF
}

# pyinfra reaches the first server with the same key and known_hosts (paramiko, strict), no
# agent and no other key; the deploy is 100 `server.shell` operations, each the shell's `true`.
write_pyinfra_files() {
  local dir=$1
  cat >"$dir/inventory.py" <<EOF
hosts = [
    (
        "127.0.0.1",
        {
            "ssh_port": ${SSHD_PORTS[0]},
            "ssh_user": "$TEST_USER",
            "ssh_key": "$CLIENT_KEY",
            "ssh_known_hosts_file": "$KNOWN_HOSTS",
            "ssh_strict_host_key_checking": "yes",
            "ssh_allow_agent": False,
            "ssh_look_for_keys": False,
        },
    )
]
EOF
  cat >"$dir/sequential.py" <<'EOF'
from pyinfra.operations import server

for i in range(1, 101):
    server.shell(name=f"s{i}", commands=["true"])
EOF
}

# Asks every master the peers left behind (ours before timing, Ansible's persisted ones) to exit.
close_ssh_masters() {
  local socket
  for socket in "$WORK"/ssh/cm-* "$WORK"/ansible/cp/*; do
    [ -S "$socket" ] || continue
    ssh -o ControlPath="$socket" -O exit placeholder >/dev/null 2>&1 || true
  done
}
