#!/usr/bin/env bash
# Start or stop the private services the tests use: Xvfb with a tray host, a D-Bus session
# with an unlocked gnome-keyring, a private dockerd with a local busybox test image,
# Debian's OpenSSH server on 127.0.0.1 at a free port (for remote rigs, `--rig`), with a
# host key and a client key made for this run (DIR/ssh/config is the client's ssh_config),
# and a small fleet: two RigPilot workers in two homes (simulated GPUs, the practice network)
# exporting metrics, one on loopback and one beyond it with a bearer token, scraped by a
# real Prometheus (Debian's package) that loads resources/prometheus/rigpilot-rules.yml.
#
#   tests/services.sh start DIR   # starts them; writes DIR/env.sh to source
#   tests/services.sh stop DIR    # stops every process it started
#
# Nothing here touches the system's own Docker, D-Bus or display: everything lives in DIR.
set -euo pipefail

cmd=${1:?usage: services.sh start|stop DIR}
dir=${2:?usage: services.sh start|stop DIR}
TEST_IMAGE=${RIGPILOT_TEST_IMAGE:-rigpilot-test/busybox:latest}
root=$(cd "$(dirname "$0")/.." && pwd)
PY=${RIGPILOT_PYTHON:-$root/.venv/bin/python}

log() { printf '[services] %s\n' "$*" >&2; }

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= end)); then log "timed out waiting for $what"; return 1; fi
    sleep 0.2
  done
}

tray_ready() {  # Qt itself says a system tray is there (what the app and the GUI tests ask)
  QT_QPA_PLATFORM=xcb "$PY" -c 'import sys
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
app = QApplication([])
sys.exit(0 if QSystemTrayIcon.isSystemTrayAvailable() else 1)'
}

start_x() {  # start_x [SUFFIX]: an X server with a tray host; sets x_display
  local suffix=${1:-} attempt
  # Xvfb picks a free display itself and writes its number when it is ready (-displayfd):
  # two runs starting at once on one machine never take the same display.
  : >"$dir/display$suffix"
  Xvfb -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp 3>"$dir/display$suffix" \
    >"$dir/xvfb$suffix.log" 2>&1 &
  echo $! >"$dir/xvfb$suffix.pid"
  wait_for 20 "Xvfb" test -s "$dir/display$suffix"
  x_display=":$(tr -d '[:space:]' <"$dir/display$suffix")"
  DISPLAY=$x_display wait_for 20 "Xvfb" xdpyinfo
  for attempt in 1 2 3; do
    DISPLAY=$x_display trayer --edge top --align right --widthtype request --height 24 \
      --transparent false >"$dir/trayer$suffix.log" 2>&1 &
    echo $! >"$dir/trayer$suffix.pid"
    if DISPLAY=$x_display wait_for 15 "the tray host" tray_ready; then break; fi
    kill "$(cat "$dir/trayer$suffix.pid")" 2>/dev/null || true
    ((attempt < 3)) || { log "trayer did not start: $(cat "$dir/trayer$suffix.log")"; return 1; }
  done
  log "X server on $x_display with trayer"
}

start_dbus_keyring() {
  local out
  out=$(dbus-daemon --session --fork --print-address=1 --print-pid=1 --nosyslog)
  export DBUS_SESSION_BUS_ADDRESS=$(sed -n 1p <<<"$out")
  sed -n 2p <<<"$out" >"$dir/dbus.pid"
  mkdir -p "$dir/keyring-home/.local/share/keyrings"
  # A test-only password unlocks a throwaway keyring in a private folder.
  HOME="$dir/keyring-home" XDG_DATA_HOME="$dir/keyring-home/.local/share" \
    gnome-keyring-daemon --unlock --components=secrets --daemonize <<<"rigpilot-test" >"$dir/keyring.env"
  grep -o 'GNOME_KEYRING_PID=[0-9]*' "$dir/keyring.env" | cut -d= -f2 >"$dir/keyring.pid" || true
  log "D-Bus session and gnome-keyring started"
}

start_docker() {
  local sock="$dir/docker.sock"
  mkdir -p "$dir/docker-data" "$dir/docker-exec"
  dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
    --data-root "$dir/docker-data" --exec-root "$dir/docker-exec" \
    --pidfile "$dir/dockerd.pid" -H "unix://$sock" \
    --containerd-namespace rigpilot-test --containerd-plugins-namespace rigpilot-test-plugins \
    >"$dir/dockerd.log" 2>&1 &
  export DOCKER_HOST="unix://$sock"
  wait_for 60 "dockerd" docker version
  if ! docker image inspect "$TEST_IMAGE" >/dev/null 2>&1; then
    local root="$dir/busybox-root"
    rm -rf "$root"; mkdir -p "$root"/{bin,etc,tmp,proc,sys,dev,work,home/user}
    cp /bin/busybox "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do
      [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
    tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' - "$TEST_IMAGE" >/dev/null
    log "imported $TEST_IMAGE"
  fi
  log "dockerd on $DOCKER_HOST"
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

http_ok() {  # http_ok URL: the URL answers 2xx
  "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1"
}

start_worker() {  # start_worker NAME ARGS...: a worker in $dir/NAME, waited for
  local name=$1; shift
  RIGPILOT_HOME="$dir/$name" "$PY" -m desktop worker "$@" --foreground >"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
  wait_for 60 "the worker $name" env RIGPILOT_HOME="$dir/$name" "$PY" -m desktop status --json
}

start_fleet() {
  local pa pb pp
  pa=$(free_port); pb=$(free_port); pp=$(free_port)
  mkdir -p "$dir/rig-a/config" "$dir/rig-b/config"
  # rig A: metrics on loopback from the start; a low soft limit, so the guard acts at once
  printf '{"version": 1, "settings": {"metrics.listen": "127.0.0.1:%s", "sampling.interval_s": 1, "thermal.soft_limit_c": 60}}\n' \
    "$pa" >"$dir/rig-a/config/settings.json"
  printf '{"version": 1, "settings": {"sampling.interval_s": 1}}\n' >"$dir/rig-b/config/settings.json"
  start_worker rig-a --demo --simulate warm,hot --sim-speed 30
  start_worker rig-b --demo --simulate cool --sim-speed 30
  # rig B listens beyond loopback: first its token (kept in the keyring), then the setting
  (umask 077; RIGPILOT_HOME="$dir/rig-b" "$PY" -m desktop metrics token >"$dir/rig-b.token")
  RIGPILOT_HOME="$dir/rig-b" "$PY" -m desktop settings set metrics.listen "0.0.0.0:$pb" >/dev/null
  cat >"$dir/prometheus.yml" <<PROM
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $root/resources/prometheus/rigpilot-rules.yml
scrape_configs:
  - job_name: rigpilot
    static_configs:
      - targets: ["127.0.0.1:$pa"]
  - job_name: rigpilot-remote
    authorization:
      credentials_file: $dir/rig-b.token
    static_configs:
      - targets: ["127.0.0.1:$pb"]
PROM
  prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/prometheus-data" \
    --web.listen-address="127.0.0.1:$pp" >"$dir/prometheus.log" 2>&1 &
  echo $! >"$dir/prometheus.pid"
  export RIGPILOT_FLEET_PROMETHEUS="http://127.0.0.1:$pp"
  export RIGPILOT_FLEET_HOMES="$dir/rig-a:$dir/rig-b"
  export RIGPILOT_FLEET_TARGETS="127.0.0.1:$pa,127.0.0.1:$pb"
  export RIGPILOT_FLEET_TOKEN_FILE="$dir/rig-b.token"
  wait_for 60 "Prometheus" http_ok "$RIGPILOT_FLEET_PROMETHEUS/-/ready"
  log "two workers (rig-a on 127.0.0.1:$pa, rig-b on 0.0.0.0:$pb with a token) scraped by Prometheus on $RIGPILOT_FLEET_PROMETHEUS"
}

start_sshd() {
  # sshd run by this user (root under CI: then it needs its privilege-separation folder).
  # Only key logins of this user, only from 127.0.0.1; unix-socket forwarding is what the
  # tests use, and OpenSSH allows it only with AllowTcpForwarding (here "local").
  local ssh="$dir/ssh" sshd user port bare rig_bin
  sshd=$(command -v sshd || echo /usr/sbin/sshd)
  user=$(id -un)
  mkdir -p "$ssh"; chmod 700 "$ssh"
  rm -f "$ssh"/host_ed25519* "$ssh"/client_ed25519*
  ssh-keygen -q -t ed25519 -N '' -C rigpilot-test-host -f "$ssh/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C rigpilot-test-client -f "$ssh/client_ed25519"
  install -m 600 "$ssh/client_ed25519.pub" "$ssh/authorized_keys"
  port=$(free_port); bare=$(free_port)
  [ "$bare" != "$port" ] || bare=$(free_port)
  # The rig's `rigpilot` is this checkout's (sshd sets PATH itself: a client cannot).
  rig_bin=${RIGPILOT_TEST_RIG_BIN:-$(cd "$(dirname "$0")/.." && pwd)/.venv/bin}
  if [ "$(id -u)" -eq 0 ]; then mkdir -p /run/sshd; chmod 755 /run/sshd; fi
  cat >"$ssh/sshd_config" <<CFG
ListenAddress 127.0.0.1:$port
ListenAddress 127.0.0.1:$bare
HostKey $ssh/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $ssh/authorized_keys
AllowUsers $user
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# The keys live under /tmp (world-writable), which StrictModes would refuse.
StrictModes no
AllowTcpForwarding local
AllowStreamLocalForwarding local
X11Forwarding no
PrintMotd no
# A test chooses the rig's RIGPILOT_HOME (another home: a second rig) with ssh's SetEnv.
AcceptEnv RIGPILOT_HOME
SetEnv PATH=$rig_bin:/usr/bin:/bin
# The second port is "a rig without RigPilot": no rigpilot on its PATH.
Match LocalPort $bare
  SetEnv PATH=/usr/bin:/bin
CFG
  "$sshd" -f "$ssh/sshd_config" -E "$ssh/sshd.log"
  printf '[127.0.0.1]:%s,[127.0.0.1]:%s %s\n' "$port" "$bare" \
    "$(cut -d' ' -f1,2 "$ssh/host_ed25519.pub")" >"$ssh/known_hosts"
  cat >"$ssh/config" <<CFG
Host bare-rig
  Port $bare
Host localhost 127.0.0.1 bare-rig
  HostName 127.0.0.1
  Port $port
  IdentityFile $ssh/client_ed25519
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile $ssh/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
CFG
  wait_for 10 "sshd" ssh -F "$ssh/config" -o BatchMode=yes "$user@localhost" true
  SSH_CONFIG="$ssh/config"; SSH_USER=$user
  log "sshd on 127.0.0.1:$port and :$bare (as $user; client config $ssh/config)"
}

case "$cmd" in
start)
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  for tool in Xvfb trayer dbus-daemon gnome-keyring-daemon dockerd docker busybox xdpyinfo ssh ssh-keygen prometheus "$PY"; do
    command -v "$tool" >/dev/null || { log "missing $tool: run tests/run.sh (it installs it)"; exit 1; }
  done
  [ -x "$(command -v sshd || echo /usr/sbin/sshd)" ] || { log "missing sshd: run tests/run.sh (it installs openssh-server)"; exit 1; }
  start_x; export DISPLAY=$x_display
  # A second display for the README screenshots test, run beside the other GUI tests: its
  # screen grabs (the tray menu) see no other test's window.
  start_x -shots; shots_display=$x_display
  start_dbus_keyring; start_docker; start_sshd; start_fleet
  cat >"$dir/env.sh" <<ENV
export DISPLAY='$DISPLAY'
export RIGPILOT_SHOTS_DISPLAY='$shots_display'
export DBUS_SESSION_BUS_ADDRESS='$DBUS_SESSION_BUS_ADDRESS'
export DOCKER_HOST='$DOCKER_HOST'
export RIGPILOT_TEST_IMAGE='$TEST_IMAGE'
export RIGPILOT_TEST_SSH_CONFIG='$SSH_CONFIG'
export RIGPILOT_TEST_SSH_USER='$SSH_USER'
export RIGPILOT_REQUIRE_SERVICES=1
export RIGPILOT_FLEET_PROMETHEUS='$RIGPILOT_FLEET_PROMETHEUS'
export RIGPILOT_FLEET_HOMES='$RIGPILOT_FLEET_HOMES'
export RIGPILOT_FLEET_TARGETS='$RIGPILOT_FLEET_TARGETS'
export RIGPILOT_FLEET_TOKEN_FILE='$RIGPILOT_FLEET_TOKEN_FILE'
ENV
  log "ready: source $dir/env.sh"
  ;;
stop)
  [ -d "$dir" ] || exit 0
  if [ -f "$dir/dockerd.pid" ]; then
    DOCKER_HOST="unix://$dir/docker.sock" docker ps -aq 2>/dev/null |
      xargs -r env DOCKER_HOST="unix://$dir/docker.sock" docker rm -f >/dev/null 2>&1 || true
  fi
  for name in rig-a rig-b prometheus sshd dockerd trayer xvfb trayer-shots xvfb-shots keyring dbus; do
    pidfile="$dir/$name.pid"
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
  # dockerd leaves its own containerd behind when killed hard
  pkill -f "containerd.*$dir/docker-exec" 2>/dev/null || true
  # ... and mounts under the folder (its network namespaces, sometimes its data root), which
  # kept the folder from being removed: unmount them, deepest first
  if command -v findmnt >/dev/null; then
    findmnt -rno TARGET | awk -v d="$dir/" 'index($0, d) == 1' | sort -r |
      xargs -r -n1 umount -l 2>/dev/null || true
  fi
  log "stopped"
  ;;
*) echo "usage: services.sh start|stop DIR" >&2; exit 2 ;;
esac
