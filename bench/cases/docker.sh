# shellcheck shell=bash disable=SC2153 # RUNBOOK, WORK, … come from run.sh
# Case family "docker": 100 container inspections through the Engine API (one runbook step)
# against 100 `docker inspect` CLI calls. Sourced by run.sh, which calls bench_docker.

DOCKER_IMAGE_FOR_BENCH=runbook-test/busybox:1

bench_docker() {
  local dir="$WORK/docker"
  BENCH_CONTAINER="runbook-bench-inspect-$$"
  local name=$BENCH_CONTAINER
  mkdir -p "$dir"
  ensure_bench_image "$dir/image"
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" "$DOCKER_IMAGE_FOR_BENCH" sleep 3600 >/dev/null
  CLEANUPS=(remove_bench_container "${CLEANUPS[@]}")

  cat >"$dir/inspect.rb42" <<RB42
runbook "bench-docker" {
  procedure inspect {
    step inspect { let d = docker(); for i in 0..100 { d.inspect("$name"); } }
  }
}
RB42
  cat >"$dir/inspect.sh" <<SH
for i in \$(seq 100); do docker inspect "$name" >/dev/null; done
SH
  compare "100 container inspections" "≤ 0.1" 5 2 "docker inspect (CLI)" \
    "$RUNBOOK run $dir/inspect.rb42" "sh $dir/inspect.sh"
}

remove_bench_container() {
  docker rm -f "$BENCH_CONTAINER" >/dev/null 2>&1 || true
}

# The tests' busybox image, built from scratch (no registry) when it is missing.
ensure_bench_image() {
  local context=$1
  docker image inspect "$DOCKER_IMAGE_FOR_BENCH" >/dev/null 2>&1 && return
  [ -x /bin/busybox ] || { apt-get update -qq && apt-get install -y -qq busybox-static; }
  mkdir -p "$context"
  cp /bin/busybox "$context/busybox"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCMD ["sleep", "3600"]\n' \
    >"$context/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$DOCKER_IMAGE_FOR_BENCH" "$context" >/dev/null
}
