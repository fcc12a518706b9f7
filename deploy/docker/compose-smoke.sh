#!/usr/bin/env bash
# The compose smoke (`make compose-smoke`, CI): bring up docker-compose.yml as a project of
# its own, wait until every service is healthy, drive one order from stock and one made to
# order through the gateway to shipment (deploy/smoke/compose_smoke.py), read the e-mails back
# from the mail catcher, and take everything down again (containers, network, volumes),
# whether it passed or not. Prints how long each part took.
#
# Images: the local stand-ins of build-local-images.sh (deploy/docker/local.env) unless
# BATCHFLOW_USE_REGISTRY=1 (then compose's defaults: the official images, built/pulled).
# The published ports are free ones, so a `make run` or another stack here is left alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-batchflow-smoke}
if [ "${BATCHFLOW_USE_REGISTRY:-0}" != 1 ]; then set -a; . deploy/docker/local.env; set +a; fi
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
GATEWAY_PORT=$(free_port); MAILCATCHER_PORT=$(free_port)
KEY=smoke-$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
export GATEWAY_PORT MAILCATCHER_PORT SMOKE_API_KEY=$KEY
export GATEWAY_API_KEYS="{\"$KEY\": \"operator\"}"
export CHANNELS_SECRETS_KEY=${CHANNELS_SECRETS_KEY:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')}
export PUBLIC_BASE_URL=http://localhost:$GATEWAY_PORT
UP_ARGS=(--no-build)
[ "${BATCHFLOW_USE_REGISTRY:-0}" = 1 ] && UP_ARGS=(--build)

down() {
  local t0=$SECONDS
  docker compose down -v --remove-orphans --timeout 20 >/dev/null 2>&1 || true
  echo "[compose-smoke] down (containers, network, volumes): $((SECONDS - t0)) s"
}
on_exit() {
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "[compose-smoke] FAILED; state and recent logs:" >&2
    docker compose ps -a >&2 || true
    docker compose logs --tail 40 >&2 || true
  fi
  down
  exit $rc
}
trap on_exit EXIT
down  # a project left by an interrupted run: start from nothing

t0=$SECONDS
docker compose up -d "${UP_ARGS[@]}" --wait --wait-timeout 420
echo "[compose-smoke] docker compose up -> every service healthy: $((SECONDS - t0)) s"
docker compose ps --format '{{.Service}}\t{{.Status}}'

t0=$SECONDS
"$PY" deploy/smoke/compose_smoke.py --gateway "http://127.0.0.1:$GATEWAY_PORT" --mail "http://127.0.0.1:$MAILCATCHER_PORT"
echo "[compose-smoke] smoke through the gateway: $((SECONDS - t0)) s"
