# shellcheck shell=bash disable=SC2153 # RUNBOOK, WORK, … come from run.sh
# Case family "fleet": 200 hosts served on loopback (127.0.1.1 to 127.0.1.200, 13 sshd servers),
# named by one Ansible INI inventory that runbook (`-i`) and Ansible read, and pyinfra reads as
# the inventory.py generated from the same hosts. One command on every host against `ssh` in
# parallel, Ansible and pyinfra; a 5-step procedure where 2 hosts fail at step 3, tolerated,
# against Ansible's max_fail_percentage; its dry-run against `pyinfra --dry` and
# `ansible-playbook --check`; the cost per host at 20, 50, 100 and 200 hosts; the peak memory of
# the whole process tree and the journal a run leaves. Sourced by run.sh, which calls
# bench_fleet. What it measures and why: README.md.

FLEET_HOSTS=200
FLEET_SIZES=(20 50 100 200)
FLEET_FORKS=50
# The key exchange every client uses: 7 times cheaper in CPU than OpenSSH's default.
FLEET_KEX=curve25519-sha256
# The hosts that fail at step 3 of the procedure: 2 of 200, within `tolerate 5%`.
FLEET_FAILING=(h100 h200)

bench_fleet() {
  start_fleet_servers "$FLEET_HOSTS"
  local dir="$WORK/fleet"
  mkdir -p "$dir" "$WORK/fleet-ansible/tmp" "$WORK/fleet-ansible/cp"
  CLEANUPS=(close_fleet_masters "${CLEANUPS[@]}")

  local size
  for size in "${FLEET_SIZES[@]}"; do
    write_fleet_inventory "$dir/inventory-$size.ini" "$size"
  done
  # Every client uses the cheaper key exchange (README.md: performance notes), through the
  # ssh_config runbook reads, `ssh -o` and Ansible's ssh arguments; pyinfra's paramiko
  # prefers it already. The last comparison of case 1 is OpenSSH's default, for its share.
  echo "KexAlgorithms $FLEET_KEX" >"$dir/ssh_config"
  write_fleet_runbooks "$dir"
  write_fleet_ssh_script "$dir"
  write_fleet_ansible_files "$dir"
  write_fleet_pyinfra_files "$dir"
  export ANSIBLE_CONFIG="$dir/ansible.cfg" ANSIBLE_HOME="$WORK/fleet-ansible" LC_ALL=C.UTF-8
  local playbook="$VENV/bin/ansible-playbook -i $dir/inventory-$FLEET_HOSTS.ini"
  local pyinfra="$VENV/bin/pyinfra --chdir $dir inventory.py"
  # Ansible exits with 2 when a host failed, also within max_fail_percentage.
  # shellcheck disable=SC2016 # the peer's shell expands it
  local tolerated='|| [ $? -eq 2 ]'

  # Case 1: one command on every host.
  local one="1 command on $FLEET_HOSTS hosts" runbook
  runbook="$(fleet_runbook "$dir" run "$FLEET_HOSTS")"
  compare "$one, forks $FLEET_FORKS" "≤ 1.0" 3 1 "ssh, xargs -P $FLEET_FORKS" \
    "$runbook $dir/one-command.rb42" "sh $dir/ssh-xargs.sh"
  compare "$one, forks $FLEET_HOSTS (all at once)" "≤ 1.0" 3 1 "ssh, xargs -P $FLEET_FORKS" \
    "$runbook $dir/one-command-all.rb42" "sh $dir/ssh-xargs.sh"
  compare "$one, forks $FLEET_FORKS" "≤ 0.2" 1 2 "ansible-playbook, forks $FLEET_FORKS" \
    "$runbook $dir/one-command.rb42" "$playbook $dir/one-command.yml"
  # The loop again, each ssh with a master and its command in a session over it, as runbook
  # connects: OpenSSH's own cost of a ControlMaster (bench/missed-targets.md).
  compare "$one, forks $FLEET_FORKS" "-" 3 1 "ssh, xargs -P $FLEET_FORKS, a master each" \
    "$runbook $dir/one-command.rb42" "sh $dir/ssh-master-xargs.sh"
  compare "$one, forks $FLEET_FORKS" "-" 1 3 "pyinfra" \
    "$runbook $dir/one-command.rb42" "$pyinfra one_command.py --yes"
  compare "$one, forks $FLEET_FORKS" "-" 1 2 "runbook, OpenSSH's default key exchange" \
    "$runbook $dir/one-command.rb42" \
    "$(fleet_runbook "$dir" run "$FLEET_HOSTS" none) $dir/one-command.rb42"

  # Case 2: 5 steps, 2 hosts fail at step 3 and are tolerated (left out of steps 4 and 5).
  local procedure="5 steps on $FLEET_HOSTS hosts, 2 fail at step 3"
  compare "$procedure" "≤ 0.2" 1 1 "ansible-playbook, max_fail_percentage 5" \
    "$runbook $dir/procedure.rb42" "$playbook $dir/procedure.yml $tolerated"

  # Case 3: the dry-run of that procedure.
  local plan
  plan="$(fleet_runbook "$dir" plan "$FLEET_HOSTS") $dir/procedure.rb42"
  compare "dry-run of the 5 steps on $FLEET_HOSTS hosts" "≤ 0.2" 1 3 "pyinfra --dry" \
    "$plan" "$pyinfra procedure.py --dry"
  compare "dry-run of the 5 steps on $FLEET_HOSTS hosts" "≤ 0.2" 1 1 "ansible-playbook --check" \
    "$plan" "$playbook --check $dir/procedure.yml $tolerated"

  # Case 4: the cost per host from 20 to 200 hosts, runbook alone.
  local rows=()
  for size in "${FLEET_SIZES[@]}"; do
    rows+=("$size hosts" "$size" host - - "$(fleet_runbook "$dir" run "$size") $dir/one-command.rb42")
  done
  measure "1 command on N hosts, forks $FLEET_FORKS" 2 1 "${rows[@]}"
  fleet_memory_and_journal "$dir"
}

# The runbook command (run or plan) on the inventory of the first `size` hosts, with the
# fleet's ssh_config or the one given (`none`: OpenSSH's defaults).
fleet_runbook() {
  local dir=$1 command=$2 size=$3 ssh_config=${4:-$1/ssh_config}
  local words="$RUNBOOK $command"
  [ "$command" = plan ] || words+=" --state-dir $dir/state"
  printf '%s' "$words --known-hosts $FLEET_KNOWN_HOSTS --ssh-config $ssh_config" \
    " -i $dir/inventory-$size.ini"
}

fleet_host_name() { printf 'h%03d' "$1"; }

# An Ansible INI inventory of the first `size` hosts, in the group `fleet`.
write_fleet_inventory() {
  local file=$1 size=$2 i
  {
    echo '[fleet]'
    for ((i = 1; i <= size; i++)); do
      echo "$(fleet_host_name "$i") ansible_host=${FLEET_ADDRESSES[i - 1]}"
    done
    echo
    echo '[all:vars]'
    echo "ansible_port=$FLEET_PORT"
    echo "ansible_user=$TEST_USER"
    echo "ansible_ssh_private_key_file=$CLIENT_KEY"
    echo "ansible_ssh_common_args='-F none -o UserKnownHostsFile=$FLEET_KNOWN_HOSTS -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o KexAlgorithms=$FLEET_KEX'"
    echo 'ansible_python_interpreter=/usr/bin/python3'
  } >"$file"
}

write_fleet_runbooks() {
  local dir=$1
  fleet_one_command "$FLEET_FORKS" >"$dir/one-command.rb42"
  fleet_one_command "$FLEET_HOSTS" >"$dir/one-command-all.rb42"
  # The cheaper key exchange for every host, through the ssh_config runbook reads.
  echo 'KexAlgorithms curve25519-sha256' >"$dir/curve25519.ssh_config"
  local failing
  failing="$(printf '"%s", ' "${FLEET_FAILING[@]}")"
  cat >"$dir/procedure.rb42" <<EOF
runbook "fleet-procedure" {
  procedure p {
    step s1 on fleet forks $FLEET_FORKS tolerate 5% { run("true"); }
    step s2 on fleet forks $FLEET_FORKS tolerate 5% { run("true"); }
    step s3 on fleet forks $FLEET_FORKS tolerate 5% {
      if target().name in [${failing%, }] { run("false"); } else { run("true"); }
    }
    step s4 on fleet forks $FLEET_FORKS tolerate 5% { run("true"); }
    step s5 on fleet forks $FLEET_FORKS tolerate 5% { run("true"); }
  }
}
EOF
}

# One command on the inventory's group `fleet`, `forks` hosts at once.
fleet_one_command() {
  cat <<EOF
runbook "fleet-one-command" {
  procedure p {
    step s on fleet forks $1 { run("true"); }
  }
}
EOF
}

# One `ssh` per host, FLEET_FORKS at once, a new connection each.
write_fleet_ssh_script() {
  local dir=$1
  printf '%s\n' "${FLEET_ADDRESSES[@]}" >"$dir/addresses.txt"
  cat >"$dir/ssh-xargs.sh" <<EOF
# One trivial command on each of the $FLEET_HOSTS hosts, $FLEET_FORKS at once, a new connection each.
xargs -P $FLEET_FORKS -I ADDRESS ssh $(ssh_options "$FLEET_KNOWN_HOSTS") -o KexAlgorithms=$FLEET_KEX \\
  -o ControlMaster=no -o ControlPath=none -p $FLEET_PORT $TEST_USER@ADDRESS true <$dir/addresses.txt
EOF
  cat >"$dir/ssh-master-xargs.sh" <<EOF
# The same, each ssh starting a master and running the command in a session over it (the
# master leaves 1 s after its session): how runbook connects.
xargs -P $FLEET_FORKS -I ADDRESS ssh $(ssh_options "$FLEET_KNOWN_HOSTS") -o KexAlgorithms=$FLEET_KEX \\
  -o ControlMaster=auto -o ControlPath=$WORK/fleet-cm-%h -o ControlPersist=1 -p $FLEET_PORT \\
  $TEST_USER@ADDRESS true <$dir/addresses.txt
EOF
}

write_fleet_ansible_files() {
  local dir=$1
  # As in the ssh family: Ansible's ControlPersist=60s master outlives each run, and later runs
  # reuse it; pipelining on.
  cat >"$dir/ansible.cfg" <<EOF
[defaults]
gathering = explicit
host_key_checking = True
retry_files_enabled = False
forks = $FLEET_FORKS
local_tmp = $WORK/fleet-ansible/tmp

[ssh_connection]
pipelining = True
control_path_dir = $WORK/fleet-ansible/cp
EOF
  cat >"$dir/one-command.yml" <<EOF
- hosts: fleet
  gather_facts: false
  tasks:
    - command: "true"
EOF
  local failing
  failing="$(printf "'%s', " "${FLEET_FAILING[@]}")"
  {
    echo '- hosts: fleet'
    echo '  gather_facts: false'
    echo '  max_fail_percentage: 5'
    echo '  tasks:'
    echo '    - command: "true"'
    echo '    - command: "true"'
    echo "    - command: \"{{ 'false' if inventory_hostname in [${failing%, }] else 'true' }}\""
    echo '    - command: "true"'
    echo '    - command: "true"'
  } >"$dir/procedure.yml"
}

# pyinfra's inventory.py, made from the same hosts (the INI's names, addresses and settings),
# the same key and known_hosts (paramiko, strict), no agent; and its two deploys.
write_fleet_pyinfra_files() {
  local dir=$1
  cat >"$dir/inventory.py" <<EOF
SETTINGS = {
    "ssh_port": $FLEET_PORT,
    "ssh_user": "$TEST_USER",
    "ssh_key": "$CLIENT_KEY",
    "ssh_known_hosts_file": "$FLEET_KNOWN_HOSTS",
    "ssh_strict_host_key_checking": "yes",
    "ssh_allow_agent": False,
    "ssh_look_for_keys": False,
}
fleet = [
    (f"h{i:03d}", {"ssh_hostname": f"127.0.1.{i}", **SETTINGS})
    for i in range(1, $FLEET_HOSTS + 1)
]
EOF
  cat >"$dir/one_command.py" <<'EOF'
from pyinfra.operations import server

server.shell(name="s", commands=["true"])
EOF
  {
    echo 'from pyinfra import host'
    echo 'from pyinfra.operations import server'
    echo
    echo "FAILING = {$(printf '"%s", ' "${FLEET_FAILING[@]}")}"
    echo
    echo 'server.shell(name="s1", commands=["true"])'
    echo 'server.shell(name="s2", commands=["true"])'
    echo 'server.shell(name="s3", commands=["false" if host.name in FAILING else "true"])'
    echo 'server.shell(name="s4", commands=["true"])'
    echo 'server.shell(name="s5", commands=["true"])'
  } >"$dir/procedure.py"
}

# The peak memory of runbook's whole process tree (its ssh masters included) at each size, per
# host, and the journal each run leaves: notes under the tables.
fleet_memory_and_journal() {
  local dir=$1 size peak processes own journal
  {
    echo "* Peak memory of a run of 1 command on N hosts, forks $FLEET_FORKS: the whole process" \
      "tree (runbook and its ssh masters, each closed after its host's last step; the sum of" \
      "their Pss, sampled by \`lib/tree_memory.py\`), runbook's own process, and the journal" \
      "the run leaves"
    echo
    echo "  | hosts | peak memory, total | per host | runbook's own | processes | journal | journal per host |"
    echo "  |---:|---:|---:|---:|---:|---:|---:|"
  } >>"$OUT/notes.md"
  for size in "${FLEET_SIZES[@]}"; do
    rm -rf "$dir/state"
    read -r peak processes own < <("$SYSTEM_PYTHON" "$BENCH_DIR/lib/tree_memory.py" \
      "$(fleet_runbook "$dir" run "$size") $dir/one-command.rb42")
    journal="$(cat "$dir"/state/runs/*.jsonl | wc -c)"
    "$SYSTEM_PYTHON" -c "
size, peak, processes, own, journal = $size, $peak, $processes, $own, $journal
print(f'  | {size} | {peak / 1024:.1f} MB | {peak / size:.0f} kB | {own / 1024:.1f} MB | {processes} '
      f'| {journal:,} bytes | {journal / size:.0f} bytes |')
" >>"$OUT/notes.md"
  done
  rm -rf "$dir/state"
  # The procedure fails on 2 hosts within its tolerance: the run succeeds.
  sh -c "$(fleet_runbook "$dir" run "$FLEET_HOSTS") $dir/procedure.rb42" >/dev/null 2>&1
  journal="$(cat "$dir"/state/runs/*.jsonl | wc -c)"
  echo "* Journal of a run of the 5 steps on $FLEET_HOSTS hosts: $journal bytes." >>"$OUT/notes.md"
}

# Asks the masters Ansible persisted to exit.
close_fleet_masters() {
  local socket
  for socket in "$WORK"/fleet-ansible/cp/*; do
    [ -S "$socket" ] || continue
    ssh -o ControlPath="$socket" -O exit placeholder >/dev/null 2>&1 || true
  done
}
