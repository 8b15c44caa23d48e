# shellcheck shell=bash disable=SC2153 # RUNBOOK, WORK, … come from run.sh
# Case family "output": a step whose command prints 200 MB (80-byte lines) through
# `runbook run`, against the same command piped to `cat`: throughput, peak memory, and the size
# of the journal the run leaves per byte of output (bounded: the first 500 and last 500 lines,
# and a count of the lines left out). Sourced by run.sh, which calls bench_output.

OUTPUT_BYTES=200000000
OUTPUT_LINE_BYTES=80

bench_output() {
  local dir="$WORK/output"
  mkdir -p "$dir"
  local lines=$((OUTPUT_BYTES / OUTPUT_LINE_BYTES)) text
  # 79 characters and a newline.
  text="$(printf 'output %072d' 0)"
  local command="yes '$text' | head -n $lines"
  cat >"$dir/output.rb42" <<RB42
runbook "bench-output" {
  procedure p {
    step chatty { sh("$command"); }
  }
}
RB42
  local runbook="$RUNBOOK run --state-dir $dir/state $dir/output.rb42"
  local cat="sh -c \"$command\" | cat"
  compare "200 MB of output in one step" "≤ 2.0" 3 3 "the command piped to cat" \
    "$runbook" "$cat"
  measure "output throughput" 1 3 \
    "runbook run, 200 MB step" "$OUTPUT_BYTES" byte - - "$runbook" \
    "the command piped to cat" "$OUTPUT_BYTES" byte - - "$cat"
  bench_output_journal "$dir" "$runbook"
}

# The journal of one run of the step, in bytes and per byte of output, into the notes under
# the tables.
bench_output_journal() {
  local dir=$1 runbook=$2
  rm -rf "$dir/state"
  sh -c "$runbook" >/dev/null
  local journal bytes
  journal="$(ls "$dir"/state/runs/*.jsonl)"
  bytes="$(wc -c <"$journal")"
  {
    echo "* Journal of a run of the 200 MB step (default bound, 1,000 lines):" \
      "$bytes bytes, $("$SYSTEM_PYTHON" -c "print(f'{$bytes / $OUTPUT_BYTES:.6f}')") byte per byte of output."
  } >>"$OUT/notes.md"
}
