# shellcheck shell=bash
# Installs, only when missing, what the benchmarks drive: Debian packages with apt-get, the
# test user the sshd servers let in, and ansible-core, pyinfra and just (rust-just) from PyPI in
# bench/.venv.
# Sourced by run.sh, which sets BENCH_DIR.

# The account every benchmark logs in as: a plain /bin/sh user without start-up files, as in
# tests/sshd.rs (a login shell's start-up files would run for every remote command).
TEST_USER=runbook-test
# Debian's Python: the one python3-venv belongs to (root's PATH may lead to pyenv's instead).
SYSTEM_PYTHON=/usr/bin/python3
VENV="$BENCH_DIR/.venv"
# Pinned so that reruns compare the same peers; bump them on purpose, and say so in README.md.
ANSIBLE_CORE_VERSION=2.19.14
PYINFRA_VERSION=3.10.0
RUST_JUST_VERSION=1.59.0
PYTHON_PEERS=("ansible-core==$ANSIBLE_CORE_VERSION" "pyinfra==$PYINFRA_VERSION"
  "rust-just==$RUST_JUST_VERSION")

install_prerequisites() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: run the benchmarks as root: the sshd servers switch to the user $TEST_USER" >&2
    exit 2
  fi
  local packages=()
  local pair
  for pair in hyperfine:hyperfine ssh:openssh-client ssh-keygen:openssh-client curl:curl; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || packages+=("${pair#*:}")
  done
  # sshd lives in /usr/sbin, which is not always on PATH.
  [ -x /usr/sbin/sshd ] || packages+=(openssh-server)
  # GNU time, for peak memory (`/usr/bin/time -f %M`); the shell keyword has no such option.
  [ -x /usr/bin/time ] || packages+=(time)
  [ -x "$SYSTEM_PYTHON" ] || packages+=(python3)
  if [ ! -x "$SYSTEM_PYTHON" ] || ! "$SYSTEM_PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    packages+=(python3-venv)
  fi
  if [ ${#packages[@]} -gt 0 ]; then
    say "installing ${packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  fi

  # sshd refuses to start without its privilege separation directory.
  [ -d /run/sshd ] || mkdir -m 0755 /run/sshd
  if ! id "$TEST_USER" >/dev/null 2>&1; then
    say "creating user $TEST_USER"
    useradd --create-home --shell /bin/sh "$TEST_USER"
  fi
  # With `UsePAM no` a fresh account stays locked until its password field is `*`.
  usermod -p '*' "$TEST_USER"
  local home
  home="$(getent passwd "$TEST_USER" | cut -d: -f6)"
  rm -f "$home/.profile" "$home/.bashrc" "$home/.bash_profile" "$home/.bash_login" \
    "$home/.bash_logout"

  # The venv's own record of what it holds, written once every pinned peer is installed.
  local installed="$VENV/installed.txt"
  if [ "$(cat "$installed" 2>/dev/null)" != "${PYTHON_PEERS[*]}" ]; then
    say "installing ${PYTHON_PEERS[*]} in ${VENV#"$BENCH_DIR"/}"
    rm -rf "$VENV"
    "$SYSTEM_PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PYTHON_PEERS[@]}"
    echo "${PYTHON_PEERS[*]}" >"$installed"
  fi

  if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo is not installed (https://rustup.rs)" >&2
    exit 2
  fi
}
