# shellcheck shell=bash disable=SC2153 # RUNBOOK, WORK, … come from run.sh
# Case family "local": what a step adds to the command it runs, a runbook of 1,000 steps each
# running `true` against a shell loop of 1,000 `sh -c true`; and the peak memory of a run of the
# quickstart. Sourced by run.sh, which calls bench_local.

LOCAL_STEPS=1000

bench_local() {
  local dir="$WORK/local" i
  mkdir -p "$dir"
  {
    echo 'runbook "bench-local" {'
    echo '  procedure p {'
    for ((i = 1; i <= LOCAL_STEPS; i++)); do
      echo "    step s$i { sh([\"true\"]); }"
    done
    echo '  }'
    echo '}'
  } >"$dir/steps.rb42"
  cat >"$dir/loop.sh" <<SH
i=0
while [ \$i -lt $LOCAL_STEPS ]; do
  sh -c true
  i=\$((i + 1))
done
SH
  compare "$LOCAL_STEPS local steps running true" "≤ 1.5" 5 2 "shell loop of sh -c true" \
    "$RUNBOOK run --state-dir $dir/state $dir/steps.rb42" "sh $dir/loop.sh"
  bench_local_memory
}

# Peak memory of a real run: the quickstart, in a scratch directory, every confirmation answered.
bench_local_memory() {
  local dir="$WORK/quickstart"
  mkdir -p "$dir"
  measure "memory: run of the quickstart" 3 3 \
    "runbook run quickstart" - - - - \
    "$RUNBOOK run --yes --state-dir $dir/state -p workdir=$dir/app $REPO/runbooks/quickstart.rb42"
}
