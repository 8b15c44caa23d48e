# shellcheck shell=bash disable=SC2153 # RUNBOOK, WORK, … come from run.sh
# Case family "startup": how long the tool takes to start and read a runbook, against just
# listing a 50-recipe justfile and ansible-playbook checking the syntax of the same 50 commands
# as a playbook. Sourced by run.sh, which calls bench_startup.

STARTUP_RECIPES=50

bench_startup() {
  local dir="$WORK/startup" i
  mkdir -p "$dir"
  {
    for ((i = 1; i <= STARTUP_RECIPES; i++)); do
      echo "# Deploy component $i"
      echo "deploy-$i version=\"1.4.2\":"
      echo "    mkdir -p /tmp/components/$i && echo {{version}} > /tmp/components/$i/VERSION"
      echo
    done
  } >"$dir/justfile"
  {
    echo '- hosts: localhost'
    echo '  connection: local'
    echo '  gather_facts: false'
    echo '  tasks:'
    for ((i = 1; i <= STARTUP_RECIPES; i++)); do
      echo "    - name: Deploy component $i"
      echo "      shell: mkdir -p /tmp/components/$i && echo 1.4.2 > /tmp/components/$i/VERSION"
    done
  } >"$dir/playbook.yml"
  local just="$VENV/bin/just --justfile $dir/justfile --working-directory $dir --list"
  # Ansible warns that it has no inventory when given none: give it the implicit localhost.
  local ansible="$VENV/bin/ansible-playbook -i localhost, --syntax-check $dir/playbook.yml"
  local check="$RUNBOOK check $REPO/runbooks/quickstart.rb42"
  compare "start-up: --version" "≤ 1.0" 5 10 "just --list (50 recipes)" "$RUNBOOK --version" "$just"
  compare "start-up: check quickstart" "≤ 1.0" 5 10 "just --list (50 recipes)" "$check" "$just"
  compare "start-up: --version" "≤ 0.02" 3 2 "ansible-playbook --syntax-check (50 tasks)" \
    "$RUNBOOK --version" "$ansible"
  compare "start-up: check quickstart" "≤ 0.02" 3 2 \
    "ansible-playbook --syntax-check (50 tasks)" "$check" "$ansible"
}
