#!/usr/bin/env bash
# Start or stop a private Docker engine for CI (the sandbox provider's real tests).
#
#   .ci/docker.sh start   # installs docker.io/debootstrap/bubblewrap if missing, starts dockerd
#   export DOCKER_HOST=unix:///tmp/proctor-ci-docker.sock
#   .venv/bin/pytest tests/sandboxes --rundocker
#   .ci/docker.sh stop    # stops that dockerd by its pid file
#
# The daemon gets its own socket, data root, exec root and pid file, no bridge and no iptables
# rules (sandboxes run with network "none"), so it neither needs nor touches host networking and
# never collides with a system dockerd. Override the location with PROCTOR_CI_DOCKER_DIR.
set -euo pipefail

DIR="${PROCTOR_CI_DOCKER_DIR:-/tmp/proctor-ci-docker}"
SOCK="${PROCTOR_CI_DOCKER_SOCK:-/tmp/proctor-ci-docker.sock}"
PIDFILE="$DIR/dockerd.pid"
LOG="$DIR/dockerd.log"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

install_missing() {
    local pkgs=()
    command -v dockerd >/dev/null || pkgs+=(docker.io)
    command -v debootstrap >/dev/null || pkgs+=(debootstrap)
    command -v bwrap >/dev/null || pkgs+=(bubblewrap)
    if [ "${#pkgs[@]}" -gt 0 ]; then
        echo "installing: ${pkgs[*]}"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
    fi
}

start() {
    install_missing
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        echo "dockerd already running (pid $(cat "$PIDFILE"))"
    else
        $SUDO mkdir -p "$DIR/data" "$DIR/exec"
        # setsid: the daemon survives this shell and has its own process group.
        $SUDO setsid dockerd \
            --host "unix://$SOCK" \
            --data-root "$DIR/data" \
            --exec-root "$DIR/exec" \
            --pidfile "$PIDFILE" \
            --bridge=none --iptables=false --ip6tables=false \
            >"$LOG" 2>&1 < /dev/null &
        for _ in $(seq 1 60); do
            if DOCKER_HOST="unix://$SOCK" docker version >/dev/null 2>&1; then break; fi
            sleep 1
        done
        if ! DOCKER_HOST="unix://$SOCK" docker version >/dev/null 2>&1; then
            echo "dockerd did not become ready within 60 s; last log lines:" >&2
            tail -n 30 "$LOG" >&2 || true
            exit 1
        fi
        echo "dockerd ready (pid $(cat "$PIDFILE"), log $LOG)"
    fi
    [ "$(id -u)" -eq 0 ] || $SUDO chmod 666 "$SOCK"
    echo "export DOCKER_HOST=unix://$SOCK"
}

stop() {
    if [ ! -f "$PIDFILE" ]; then
        echo "no pid file at $PIDFILE; nothing to stop"
        return 0
    fi
    local pid
    pid="$(cat "$PIDFILE")"
    if kill -0 "$pid" 2>/dev/null; then
        # Remove leftover sandbox containers first, then stop the daemon (and its containerd).
        DOCKER_HOST="unix://$SOCK" docker ps -aq --filter label=proctor.sandbox 2>/dev/null \
            | xargs -r env DOCKER_HOST="unix://$SOCK" docker rm -f >/dev/null 2>&1 || true
        $SUDO kill -TERM "$pid"
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "dockerd (pid $pid) ignored SIGTERM for 30 s; sending SIGKILL" >&2
            $SUDO kill -KILL "$pid"
        fi
    fi
    $SUDO rm -f "$PIDFILE"
    echo "dockerd stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
