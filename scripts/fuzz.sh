#!/bin/sh
# A long fuzz run of the parser and checker (tests/fuzz.rs) on one core, at low priority:
# RUNBOOK_FUZZ_SECONDS (default 600), RUNBOOK_FUZZ_SEED (default 42). Prints the count of inputs.
set -eu
cd "$(dirname "$0")/.."
export RUNBOOK_FUZZ_SECONDS="${RUNBOOK_FUZZ_SECONDS:-600}"
cargo test --test integration --no-run
exec nice -n 19 cargo test --test integration fuzz::mutated -- --nocapture --test-threads 1
