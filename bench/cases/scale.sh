# shellcheck shell=bash disable=SC2153 # RUNBOOK, WORK, … come from run.sh
# Case family "scale": the language on generated runbooks of 10, 1,000 and 10,000 steps
# (lib/generate_runbook.py): `runbook check` and `runbook plan`, time and peak memory, and the
# parse throughput of `runbook list` on the largest file. runbook alone: no peer reads .rb42.
# Sourced by run.sh, which calls bench_scale.

SCALE_SIZES=(10 1000 10000)

bench_scale() {
  local dir="$WORK/scale" steps
  mkdir -p "$dir"
  for steps in "${SCALE_SIZES[@]}"; do
    "$SYSTEM_PYTHON" "$BENCH_DIR/lib/generate_runbook.py" "$steps" "$dir/steps-$steps.rb42"
  done
  local subcommand rows
  for subcommand in check plan; do
    rows=()
    for steps in "${SCALE_SIZES[@]}"; do
      # The issue's limits apply to the largest runbook only.
      local target_s=- target_mb=-
      if [ "$steps" = "${SCALE_SIZES[-1]}" ]; then
        target_s=0.5
        target_mb=100
      fi
      rows+=("$(with_commas "$steps") steps" "$steps" step "$target_s" "$target_mb"
        "$RUNBOOK $subcommand $dir/steps-$steps.rb42")
    done
    measure "runbook $subcommand" 3 2 "${rows[@]}"
  done

  local largest="$dir/steps-${SCALE_SIZES[-1]}.rb42"
  measure "parse throughput" 3 2 \
    "list $(du -k "$largest" | cut -f1) KB" "$(wc -c <"$largest")" byte - - "$RUNBOOK list $largest"
}

# 10000 -> 10,000
with_commas() {
  local digits=$1 grouped=""
  while [ ${#digits} -gt 3 ]; do
    grouped=",${digits: -3}$grouped"
    digits=${digits:0:${#digits}-3}
  done
  echo "$digits$grouped"
}
