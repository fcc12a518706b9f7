#!/usr/bin/env bash
# Print the path of a kustomize binary of the pinned version, building it once from the Go
# module proxy (`go install`, needs Go 1.22+) into the per-user cache. Idempotent: later runs
# print the cached binary at once. Used by `make test-deploy`.
set -euo pipefail
VERSION=${KUSTOMIZE_VERSION:-v5.7.1}
CACHE=${BATCHFLOW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/batchflow}
BIN=$CACHE/bin/kustomize-$VERSION
if [ ! -x "$BIN" ]; then
  command -v go >/dev/null || { echo "kustomize $VERSION: needs Go (go install) on PATH" >&2; exit 1; }
  echo "building kustomize $VERSION from the Go module proxy (first run only)..." >&2
  tmp=$(mktemp -d)
  GOBIN=$tmp go install "sigs.k8s.io/kustomize/kustomize/v5@$VERSION" >&2
  mkdir -p "$(dirname "$BIN")"
  mv "$tmp/kustomize" "$BIN"
  rm -rf "$tmp"
fi
echo "$BIN"
