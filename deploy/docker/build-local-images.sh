#!/usr/bin/env bash
# Build the images docker-compose.yml and the testcontainers fixtures need, on a machine that
# reaches no image registry (CI here): local stand-ins for the official images, built from
# Debian packages and Maven Central on the debootstrapped local/debian:bookworm
# (deploy/docker/engine.sh makes it), then the batchflow image on the Python stand-in.
#
#   local/python:3.11    for python:3.11-slim     (BATCHFLOW_PYTHON_BASE)
#   local/postgres:15    for postgres:17          (BATCHFLOW_POSTGRES_IMAGE; Debian 12 has 15)
#   local/kafka:4.1.1    for apache/kafka:4.1.1   (BATCHFLOW_KAFKA_IMAGE; Kafka from Maven Central)
#   batchflow:latest     the services' image      (Dockerfile, PYTHON_IMAGE=local/python:3.11)
#
# Idempotent: docker's layer cache makes a repeated run take seconds. `source` the printed
# exports (or use deploy/docker/local.env) so compose and the tests pick these images.
# Usage: deploy/docker/build-local-images.sh [base|app|all]   (default all)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
WHAT=${1:-all}
# Debian's docker CLI (20.10) drives BuildKit itself; the static CLI 28 in /usr/local/bin has no
# buildx plugin and falls back to the legacy builder, which cannot do the Dockerfile's cache mounts.
DOCKER_BUILD=(env DOCKER_BUILDKIT=1 /usr/bin/docker build --progress=plain)
[ -x /usr/bin/docker ] || DOCKER_BUILD=(env DOCKER_BUILDKIT=1 docker build --progress=plain)
WORK=${BATCHFLOW_IMAGE_BUILD_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/batchflow/image-build}
mkdir -p "$WORK"

timed() { local t0=$SECONDS; "$@"; echo "[images] $* took $((SECONDS - t0)) s" >&2; }
build() {  # build <tag> <context> [args...]: quiet unless it fails
  local tag=$1 ctx=$2 log="$WORK/build-${1//[:\/]/_}.log"; shift 2
  if ! "${DOCKER_BUILD[@]}" -t "$tag" "$@" "$ctx" >"$log" 2>&1; then
    tail -40 "$log" >&2; echo "[images] building $tag failed (log: $log)" >&2; return 1
  fi
}

python_image() {
  local ctx=$WORK/python
  rm -rf "$ctx"; mkdir -p "$ctx/extra-ca"
  cp deploy/docker/python/Dockerfile "$ctx/"
  # This machine reaches PyPI through its own certificate authorities, if it has extra ones:
  # the stand-in trusts them too, so `uv sync` in the app build can fetch the locked wheels.
  cp /usr/local/share/ca-certificates/*.crt "$ctx/extra-ca/" 2>/dev/null || true
  build local/python:3.11 "$ctx"
}

postgres_image() {
  build local/postgres:15 deploy/docker/postgres
}

kafka_image() {
  local ctx=$WORK/kafka pom=deploy/local/kafka-pom.xml version
  version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")
  rm -rf "$ctx"; mkdir -p "$ctx"
  cp -r deploy/docker/kafka/Dockerfile deploy/docker/kafka/shim "$ctx/"
  # The broker's runtime: the same pom `make run` resolves (devstack/kafka_dist.py), so compose,
  # testcontainers and the local stack run the same Kafka; plus kafka-tools alone (no
  # dependencies: the broker's classpath has what the admin tools need) for the health check.
  mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$ctx/libs" -DincludeScope=runtime >"$WORK/mvn.log" 2>&1 \
    || { tail -30 "$WORK/mvn.log" >&2; return 1; }
  mvn -q -B -f "$pom" dependency:copy -Dartifact="org.apache.kafka:kafka-tools:$version" -DoutputDirectory="$ctx/libs" >>"$WORK/mvn.log" 2>&1 \
    || { tail -30 "$WORK/mvn.log" >&2; return 1; }
  build "local/kafka:$version" "$ctx"
}

app_image() {
  build batchflow:latest "$REPO" --build-arg PYTHON_IMAGE=local/python:3.11
}

docker image inspect local/debian:bookworm >/dev/null 2>&1 \
  || { echo "[images] no local/debian:bookworm: run deploy/docker/engine.sh start first" >&2; exit 1; }
case "$WHAT" in
  base) timed python_image; timed postgres_image; timed kafka_image ;;
  app) timed app_image ;;
  all) timed python_image; timed postgres_image; timed kafka_image; timed app_image ;;
  *) echo "usage: $0 [base|app|all]" >&2; exit 2 ;;
esac
cat <<'ENV'
export BATCHFLOW_PYTHON_BASE=local/python:3.11 BATCHFLOW_POSTGRES_IMAGE=local/postgres:15 BATCHFLOW_KAFKA_IMAGE=local/kafka:4.1.1
ENV
