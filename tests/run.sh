#!/usr/bin/env bash
# One command from a fresh clone to a full test run, on Debian 12 or Ubuntu 24.04.
#
#   tests/run.sh            install what is missing, start private services, run every check
#   tests/run.sh --no-install   skip apt (you installed the packages already)
#   tests/run.sh --windows      also the Windows stage: Windows CPython and the installer under
#                               Wine (tests/windows/stage.py; Wine and NSIS, ~15 more minutes
#                               on 2 cores)
#   tests/run.sh --year-ahead   also the unit tests again with the date a year ahead
#   tests/run.sh --all          both: what CI runs (.ci/run)
#
# It installs the Debian packages it needs (as root, or through sudo), makes .venv with the
# project and its dev extras, starts a private X server with a tray host, a private D-Bus
# session with an unlocked gnome-keyring, a private dockerd (with a local busybox image:
# no registry is needed), an OpenSSH server on 127.0.0.1 for remote rigs and two workers
# scraped by a private Prometheus, runs ruff, mypy, import-linter and pytest (unit, contract, integration, gui),
# stops everything it started and exits non-zero on any failure.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
install=1
windows=0
year_ahead=0
for arg in "$@"; do
  case "$arg" in
  --no-install) install=0 ;;
  --windows) windows=1 ;;
  --no-windows) windows=0 ;;  # the default; kept for scripts written when it was not
  --year-ahead) year_ahead=1 ;;
  --all) windows=1; year_ahead=1 ;;
  *) echo "usage: tests/run.sh [--no-install] [--windows] [--year-ahead] [--all]" >&2; exit 2 ;;
  esac
done

step() { printf '\n=== %s\n' "$*"; }
started=$SECONDS
timings=()
timed() {  # timed NAME SECONDS: remember a stage's duration for the summary
  timings+=("$(printf '%5d s  %s' "$2" "$1")")
  printf -- '--- %s: %d s\n' "$1" "$2"
}

PACKAGES=(
  python3 python3-venv python3-dev xvfb x11-utils xauth trayer docker.io gnome-keyring dbus
  dbus-x11 busybox-static libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
  libxcb-xfixes0 libxcb-xkb1 libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0
  fonts-dejavu-core util-linux binutils desktop-file-utils xz-utils gcc libc6-dev libxss1
  openssh-client openssh-server prometheus
)
# The Windows stage: Wine 8, NSIS, and binutils for two forwarder DLLs (tests/windows).
((windows)) && PACKAGES+=(wine64 nsis binutils-mingw-w64-x86-64)

if ((install)); then
  step "Debian packages"
  t0=$SECONDS
  missing=()
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "installing: ${missing[*]}"
    # Installing openssh-server (or docker.io) would start the system's own service, sshd
    # listening on port 22; the tests start private ones instead, so a policy-rc.d (as
    # container images have) keeps the system's services stopped during the install.
    guard=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      guard=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$guard" >/dev/null
      $SUDO chmod 755 "$guard"
    fi
    status=0
    $SUDO apt-get update -qq || status=$?
    ((status != 0)) || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      --no-install-recommends "${missing[@]}" >/dev/null || status=$?
    [ -z "$guard" ] || $SUDO rm -f "$guard"
    ((status == 0)) || exit "$status"
  else
    echo "all present"
  fi
  timed "Debian packages" $((SECONDS - t0))
fi

step "Python environment (.venv)"
t0=$SECONDS
PY=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null &&
    "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    PY=$(command -v "$candidate"); break
  fi
done
[ -n "$PY" ] || { echo "Python 3.11 or newer is required" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"
.venv/bin/python -c 'import desktop; print("rigpilot", desktop.__version__)'
timed "Python environment" $((SECONDS - t0))

services=$(mktemp -d /tmp/rigpilot-services.XXXXXX)
declare -A bg_pid=()  # checks running alongside (see alongside below), by name
cleanup() {
  local rc=$? pid
  for pid in "${bg_pid[@]}"; do  # interrupted: stop what still runs alongside
    kill -0 "$pid" 2>/dev/null || continue
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  step "stopping services"
  tests/services.sh stop "$services" || true
  rm -rf "$services" 2>/dev/null || true
  exit $rc
}
trap cleanup EXIT INT TERM

step "private services (Xvfb + trayer, D-Bus + gnome-keyring, dockerd, sshd, two workers + Prometheus)"
t0=$SECONDS
tests/services.sh start "$services"
# shellcheck disable=SC1091
source "$services/env.sh"
timed "private services" $((SECONDS - t0))

failures=()
run() {  # run NAME COMMAND...: run a check, remember a failure and its duration, go on
  local name=$1 t0=$SECONDS; shift
  step "$name"
  if ! "$@"; then failures+=("$name"); fi
  timed "$name" $((SECONDS - t0))
}
alongside() {  # alongside NAME COMMAND...: start a check in the background, output to a log
  local name=$1; shift
  local log="$services/${name//[^A-Za-z0-9]/_}.log"
  echo "started alongside: $name (output when it ends)"
  ( t0=$SECONDS; rc=0; "$@" >"$log" 2>&1 || rc=$?; echo "$((SECONDS - t0)) $rc" >"$log.end" ) &
  bg_pid[$name]=$!
}
collect() {  # collect NAME: wait for a check started alongside, show its output and result
  local name=$1 log secs rc
  log="$services/${name//[^A-Za-z0-9]/_}.log"
  wait "${bg_pid[$name]}" || true
  step "$name (ran alongside)"
  cat "$log"
  read -r secs rc <"$log.end"
  ((rc == 0)) || failures+=("$name")
  timed "$name" "$secs"
}
PYTEST=(.venv/bin/pytest -q)

# The Windows stage (tests/windows/stage.py: Windows CPython and the installer under Wine)
# mostly waits on Wine; it starts first and is collected last.
((windows)) && alongside "windows (Windows CPython + installer under Wine)" \
  nice -n 5 .venv/bin/python tests/windows/stage.py
# The build is CPU-bound and tests are mostly waiting: niced, it takes the idle core time.
alongside "packages (PyInstaller bundle, tarball, .deb)" \
  env RIGPILOT_DEB_COMPRESSION=fast nice -n 10 installers/build_linux.sh
# The GUI tier is the longest (it waits on simulated time); it runs on the X server while the
# rest runs beside it. Its longest test, the README screenshots (two minutes of simulated
# work, mostly waiting), runs beside it on a display of its own.
alongside "pytest gui" "${PYTEST[@]}" --ignore tests/gui/test_screenshots.py tests/gui
alongside "pytest gui screenshots" env DISPLAY="${RIGPILOT_SHOTS_DISPLAY:-$DISPLAY}" \
  "${PYTEST[@]}" tests/gui/test_screenshots.py
run "stand-in NVML library (tests/fakenvml)" tests/fakenvml/build.sh
run "ruff" .venv/bin/ruff check desktop tests
run "mypy" .venv/bin/mypy
run "import-linter" .venv/bin/lint-imports --no-cache
run "pytest unit" "${PYTEST[@]}" -n 2 tests/unit
# No test may depend on today's date: the same tests with the date and the wall clock a year
# ahead (tests/conftest.py: --days-ahead). CI runs it on every change (--all).
((year_ahead)) && run "pytest unit, a year ahead" "${PYTEST[@]}" -n 2 --days-ahead 365 tests/unit
# Files run whole on one xdist worker (--dist loadfile): tests of one file share fixtures
# and names. Four workers on two cores: these tests mostly wait (on workers, Docker, the
# simulated clock), so two left the cores half idle. Tests of different files share one dockerd and one keyring safely: each test
# labels its containers with its own install id and uses its own keyring service name.
run "pytest contract (every network adapter)" "${PYTEST[@]}" -n 2 tests/contract
run "pytest integration" "${PYTEST[@]}" -n 4 --dist loadfile --durations=5 \
  --ignore tests/integration/test_packaging.py tests/integration
collect "pytest gui"
collect "pytest gui screenshots"
collect "packages (PyInstaller bundle, tarball, .deb)"
export RIGPILOT_BUILD_BUNDLE=1
run "pytest packages" "${PYTEST[@]}" tests/integration/test_packaging.py
((windows)) && collect "windows (Windows CPython + installer under Wine)"

step "summary"
printf '%s\n' "${timings[@]}"
printf '%5d s  in all (the stages above overlap)\n' $((SECONDS - started))
if ((${#failures[@]})); then
  echo "FAILED: ${failures[*]}"
  exit 1
fi
echo "all checks passed"
