#!/usr/bin/env bash
# Benchmarks runbook against the tools users would pick instead, and writes bench/results.md.
#
#   bench/run.sh              every case family (bench/cases/*.sh)
#   bench/run.sh ssh          only the families named
#   BENCH_QUICK=1 bench/run.sh   at most 2 timed runs per command: a smoke test, not a measurement
#
# As root (the sshd servers switch to the test user). Installs what is missing, builds runbook
# in release, and keeps everything it starts (sshd servers, keys, generated runbooks, playbooks)
# in a temp dir under /tmp that is removed on exit. Raw hyperfine JSON and logs: bench/out/.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$BENCH_DIR")"
OUT="$BENCH_DIR/out"

say() { printf '==> %s\n' "$*"; }

source "$BENCH_DIR/lib/prerequisites.sh"
source "$BENCH_DIR/lib/sshd_servers.sh"
source "$BENCH_DIR/lib/compare.sh"

families=("$@")
if [ ${#families[@]} -eq 0 ]; then
  for file in "$BENCH_DIR"/cases/*.sh; do
    name="$(basename "$file")"
    families+=("${name%.sh}")
  done
fi
for family in "${families[@]}"; do
  if [ ! -f "$BENCH_DIR/cases/$family.sh" ]; then
    echo "error: no case family '$family' (bench/cases/$family.sh)" >&2
    exit 2
  fi
done

install_prerequisites
say "cargo build --release"
(cd "$REPO" && cargo build --release --locked --quiet)
target_dir="$(cd "$REPO" && cargo metadata --format-version 1 --no-deps |
  "$SYSTEM_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"

WORK="$(mktemp -d /tmp/runbook-bench-XXXXXX)"
# Functions run on exit, first to last; case families put theirs in front.
CLEANUPS=(stop_sshd_servers)
cleanup() {
  local step
  for step in "${CLEANUPS[@]}"; do
    "$step" || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# A copy: a build sharing the target directory (another checkout) cannot swap it mid-run.
RUNBOOK="$WORK/bin/runbook"
mkdir -p "$WORK/bin"
cp "$target_dir/release/runbook" "$RUNBOOK"

rm -rf "$OUT"
mkdir -p "$OUT/logs"
: >"$OUT/manifest.tsv"
started=$SECONDS
load_at_start="$(cut -d' ' -f1 /proc/loadavg)"
for family in "${families[@]}"; do
  # shellcheck source=/dev/null
  source "$BENCH_DIR/cases/$family.sh"
  "bench_$family"
done

{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') in $((SECONDS - started)) s on $(nproc) cores" \
    "($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(uname -sr)."
  echo "runbook $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- src grammar stdlib Cargo.toml Cargo.lock || echo ' with uncommitted changes'), $(ssh -V 2>&1)," \
    "ansible-core $ANSIBLE_CORE_VERSION, pyinfra $PYINFRA_VERSION, just $RUST_JUST_VERSION," \
    "$(hyperfine --version)."
  # Other work on the machine skews the numbers: say how busy it was.
  echo "Load average (1 min): $load_at_start at the start, $(cut -d' ' -f1 /proc/loadavg) at" \
    "the end; well above 1 on 2 cores, something else was running."
  if [ "${BENCH_QUICK:-0}" = 1 ]; then
    echo "BENCH_QUICK=1: at most two runs per command, a smoke test rather than a measurement."
  fi
} >"$OUT/environment.txt"
{
  echo "# Benchmark results"
  echo
  echo "Written by \`bench/run.sh\`; how to read it: [README.md](README.md)."
  echo
  "$SYSTEM_PYTHON" "$BENCH_DIR/lib/results_table.py" "$OUT"
  echo
  cat "$BENCH_DIR/missed-targets.md"
} >"$BENCH_DIR/results.md"
say "results: bench/results.md"
cat "$BENCH_DIR/results.md"
