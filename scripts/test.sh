#!/usr/bin/env bash
# Installs what the tests need and runs them all: formatting, lints, unit and integration tests.
# Usage: scripts/test.sh            (from anywhere; CI calls it through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

# Tools the tests drive. Debian package names; installed only when missing.
need_packages=()
# tests/secret_sources.rs: `pass` with a GnuPG key it generates, files encrypted with `age`;
# tests/private_state.rs: `su` to another user.
# tests/tunnel.rs: network namespaces (`ip netns`) with a busybox httpd inside.
command -v ip >/dev/null 2>&1 || need_packages+=(iproute2)
for pair in sh:dash bash:bash tar:tar gzip:gzip script:bsdutils ssh:openssh-client ssh-keygen:openssh-client pgrep:procps openssl:openssl tmux:tmux gpg:gnupg pass:pass age:age age-keygen:age su:util-linux; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need_packages+=("${pair#*:}")
done
# tests/editors.rs asks the real vim for the syntax groups of editors/vim/syntax/rb42.vim;
# vim-tiny has no syntax highlighting.
vim --version 2>/dev/null | grep -q '+syntax' || need_packages+=(vim)
# tests/emacs.rs runs editors/emacs/rb42-mode.el in a batch Emacs.
command -v emacs >/dev/null 2>&1 || need_packages+=(emacs-nox)
# tests/pictures.rs and tests/timeline.rs open flow diagrams and run timelines in a real
# headless browser, and the pages name DejaVu as their font (the same pixels everywhere).
command -v chromium >/dev/null 2>&1 || need_packages+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_packages+=(fonts-dejavu-core)
# sshd lives in /usr/sbin, which is not always on PATH.
[ -x /usr/sbin/sshd ] || need_packages+=(openssh-server)
# The Docker test images start FROM scratch with the host's busybox copied in (no registry is
# reachable): it must be the static build, which `ldd` refuses as "not a dynamic executable".
if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
  need_packages+=(busybox-static)
fi
# tests/seed_001.rs asks a real Redis for its version (the seed's Redis 7+ requirement).
command -v redis-server >/dev/null 2>&1 || need_packages+=(redis-server)
# The Docker tests drive a real engine: the CLI here, the engine wherever DOCKER_HOST points.
command -v docker >/dev/null 2>&1 || need_packages+=(docker.io)
if ! docker compose version >/dev/null 2>&1 && ! docker-compose version >/dev/null 2>&1; then
  need_packages+=(docker-compose)
fi
# tests/registry_env.rs runs a real registry on loopback (Distribution's `docker-registry`) for
# the deploys that pull their images: tests/seed_003_pull.rs, and the pull in tests/docker.rs.
command -v docker-registry >/dev/null 2>&1 || need_packages+=(docker-registry)
# The SQL tests start their own PostgreSQL clusters (tests/postgres_env.rs) from the server's
# binaries, which Debian keeps under /usr/lib/postgresql/<version>/bin, outside PATH.
if ! command -v initdb >/dev/null 2>&1 && [ ! -x /usr/local/bin/initdb ] &&
  ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need_packages+=(postgresql)
fi
for tool in psql pg_dump pg_restore pg_isready; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    need_packages+=(postgresql-client)
    break
  fi
done
if [ ${#need_packages[@]} -gt 0 ]; then
  say "installing ${need_packages[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need_packages[@]}"
fi

# The docker-registry package runs a registry of its own as a service (on port 5000); the tests
# start theirs, one per test. Stopped and disabled where systemd runs, stopped where only the
# init script does (a container), nothing where neither started it.
if [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true
elif [ -x /etc/init.d/docker-registry ]; then
  $SUDO /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
fi

# The SSH tests start their own sshd servers (tests/sshd.rs). sshd refuses to start without its
# privilege separation directory, which nothing creates when no system sshd runs.
[ -d /run/sshd ] || $SUDO mkdir -p -m 0755 /run/sshd
# They log in as a dedicated user with a plain shell: a login shell's start-up files would run
# for every remote command. With `UsePAM no` a fresh account stays locked until its password
# field is `*` (no password, but not locked).
test_user=runbook-test
if ! id "$test_user" >/dev/null 2>&1; then
  say "creating user $test_user"
  $SUDO useradd --create-home --shell /bin/sh "$test_user"
fi
$SUDO usermod -p '*' "$test_user"
test_home="$(getent passwd "$test_user" | cut -d: -f6)"
$SUDO rm -f "$test_home/.profile" "$test_home/.bashrc" "$test_home/.bash_profile" \
  "$test_home/.bash_login" "$test_home/.bash_logout"

# tests/private_state.rs checks, as this second unprivileged user, that a journal cannot be
# read by another user of the machine.
if ! id runbook-other >/dev/null 2>&1; then
  say "creating user runbook-other"
  $SUDO useradd --no-create-home --shell /bin/sh runbook-other
fi

# initdb refuses to run as root, so tests running as root run their clusters as the postgres
# user. Debian's package creates it; a server installed otherwise may come without it.
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  say "creating user postgres"
  useradd --system --user-group --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
fi

# Installing docker.io does not start an engine where nothing runs services (a container, CI):
# say so instead of letting every Docker test fail on its own.
if ! docker info >/dev/null 2>&1; then
  echo "error: no Docker Engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}" >&2
  echo "  start dockerd (or point DOCKER_HOST at a running engine), then check with: docker info" >&2
  exit 2
fi
# Some Docker tests reach the engine through an SSH test server, as the test user.
if ! getent group docker >/dev/null; then
  $SUDO groupadd --system docker
fi
if ! id -nG "$test_user" | tr ' ' '\n' | grep -qx docker; then
  say "adding $test_user to the docker group"
  $SUDO usermod -aG docker "$test_user"
fi
if ! $SUDO su -s /bin/sh -c 'docker info' "$test_user" >/dev/null 2>&1; then
  echo "warning: $test_user cannot reach the engine (is the socket group-owned by docker?):" \
    "the Docker tests that go through SSH will fail" >&2
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo is not installed (https://rustup.rs)" >&2
  exit 2
fi
for sub in fmt clippy; do
  if ! cargo "$sub" --version >/dev/null 2>&1; then
    echo "error: cargo $sub is missing (rustup component add ${sub/fmt/rustfmt})" >&2
    exit 2
  fi
done

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy"
cargo clippy --all-targets --locked -- -D warnings

say "cargo test"
cargo test --locked 2>&1 | tee target/test-output.txt

say "runbook check runbooks/ (no warning allowed)"
cargo run --quiet --locked -- check --deny-warnings runbooks/

say "runbook fmt --check runbooks/ (every runbook in the canonical layout)"
cargo run --quiet --locked -- fmt --check runbooks/

say "runbook doc --check (docs/ is up to date)"
cargo run --quiet --locked -- doc runbooks -o docs --check

# One closing line with the totals of every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' target/test-output.txt
