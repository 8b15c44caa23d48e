# shellcheck shell=bash
# One comparison = one row of results.md's first table: runbook and one peer, timed side by side by
# hyperfine in alternating rounds. Sourced by run.sh, which sets OUT (raw results).
#
#   compare CASE TARGET ROUNDS RUNS PEER_NAME RUNBOOK_COMMAND PEER_COMMAND
#
# CASE names the case in the table; TARGET is the ratio runbook/peer the issue asks for ("≤ 0.8",
# or "-" for none). Each round is one hyperfine invocation timing both commands RUNS times;
# the first command alternates between rounds, so that a drift in the machine's load (another
# build, a noisy neighbour of the VM) falls on both sides instead of on whichever ran second.
# The table pools every round's times. Commands are shell text, run by sh.
#
# Before timing, each command runs once with its output kept in out/logs/: a broken command
# stops the run with its own error message, and this run is also the warm-up (page cache,
# Python bytecode, the connections a peer persists).

COMPARISONS=0

# BENCH_QUICK=1: one round of at most 2 runs (a slow peer given 1 run keeps 1). Sets the
# caller's rounds and runs.
quick_runs() {
  if [ "${BENCH_QUICK:-0}" = 1 ]; then
    rounds=1
    runs=$((runs < 2 ? runs : 2))
  fi
}

compare() {
  local case_name=$1 target=$2 rounds=$3 runs=$4 peer=$5 runbook_command=$6 peer_command=$7
  COMPARISONS=$((COMPARISONS + 1))
  local slug
  slug="$(printf '%02d-%s--%s' "$COMPARISONS" "$case_name" "$peer" | tr -c 'A-Za-z0-9.-' '_')"
  quick_runs

  say "$case_name: runbook vs $peer ($rounds rounds of $runs runs each)"
  preflight "$slug.runbook" "$runbook_command"
  preflight "$slug.peer" "$peer_command"
  mkdir -p "$OUT/$slug"
  local round
  for ((round = 1; round <= rounds; round++)); do
    local order=(--command-name runbook "$runbook_command" --command-name "$peer" "$peer_command")
    if ((round % 2 == 0)); then
      order=(--command-name "$peer" "$peer_command" --command-name runbook "$runbook_command")
    fi
    local log="$OUT/logs/$slug.round-$round.txt"
    if ! hyperfine --style basic --runs "$runs" --export-json "$OUT/$slug/round-$round.json" \
      "${order[@]}" >"$log" 2>&1; then
      cat "$log" >&2
      exit 1
    fi
    grep -E '^(Benchmark|  Time)' "$log" || true
  done
  printf '%s\t%s\t%s\t%s\n' "$slug" "$case_name" "$peer" "$target" >>"$OUT/manifest.tsv"
}

preflight() {
  local name=$1 command=$2
  if ! sh -c "$command" >"$OUT/logs/$name.log" 2>&1 </dev/null; then
    echo "error: this command failed before timing:" >&2
    echo "  $command" >&2
    tail -n 30 "$OUT/logs/$name.log" >&2
    exit 1
  fi
}

# One measurement group = rows of results.md's second table: runbook alone, each command timed
# by hyperfine and its peak memory read by GNU time. Sourced by run.sh, which sets OUT.
#
#   measure CASE ROUNDS RUNS NAME SIZE UNIT TARGET_S TARGET_MB COMMAND [NAME SIZE UNIT …]
#
# Each row is six words: NAME in the table; SIZE in UNIT ("step" or "host" gives a time per
# unit, "byte" a throughput in MB/s, "-" neither); TARGET_S and TARGET_MB the limits the issue
# sets on the median time and the peak RSS ("-" for none); COMMAND, shell text. The commands of
# a group are timed together in each round, the order reversed every other round, as compare
# does.
MEASUREMENTS=0
# Peak RSS: the median of this many runs under /usr/bin/time (it varies little).
MEMORY_RUNS=3

measure() {
  local case_name=$1 rounds=$2 runs=$3
  shift 3
  MEASUREMENTS=$((MEASUREMENTS + 1))
  local slug
  slug="$(printf 'm%02d-%s' "$MEASUREMENTS" "$case_name" | tr -c 'A-Za-z0-9.-' '_')"
  quick_runs
  say "$case_name: $(($# / 6)) commands ($rounds rounds of $runs runs each)"
  mkdir -p "$OUT/$slug"
  local forward=() backward=()
  while [ $# -gt 0 ]; do
    local name=$1 size=$2 unit=$3 target_s=$4 target_mb=$5 command=$6
    shift 6
    preflight "$slug.$name" "$command"
    local kilobytes=() i
    for ((i = 1; i <= MEMORY_RUNS; i++)); do
      /usr/bin/time -f %M -o "$OUT/$slug/rss.txt" sh -c "$command" >/dev/null 2>&1 </dev/null
      kilobytes+=("$(tail -n 1 "$OUT/$slug/rss.txt")")
    done
    local median_kb
    median_kb="$(printf '%s\n' "${kilobytes[@]}" | sort -n | sed -n "$(((MEMORY_RUNS + 1) / 2))p")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$slug" "$case_name" "$name" "$size" "$unit" \
      "$target_s" "$target_mb" "$median_kb" >>"$OUT/measurements.tsv"
    forward+=(--command-name "$name" "$command")
    backward=(--command-name "$name" "$command" "${backward[@]}")
  done
  rm -f "$OUT/$slug/rss.txt"
  local round
  for ((round = 1; round <= rounds; round++)); do
    local order=("${forward[@]}")
    if ((round % 2 == 0)); then
      order=("${backward[@]}")
    fi
    local log="$OUT/logs/$slug.round-$round.txt"
    if ! hyperfine --style basic --runs "$runs" --export-json "$OUT/$slug/round-$round.json" \
      "${order[@]}" >"$log" 2>&1; then
      cat "$log" >&2
      exit 1
    fi
    grep -E '^(Benchmark|  Time)' "$log" || true
  done
}
