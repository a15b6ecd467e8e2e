#!/usr/bin/env bash
# One command from a fresh clone to a full test run, on Debian 12 or Ubuntu 24.04.
#
#   tests/run.sh            install what is missing, start private services, run every check
#   tests/run.sh --no-install   skip apt (you installed the packages already)
#   tests/run.sh --no-windows   skip the Windows stage (Windows CPython and the installer
#                               under Wine: tests/windows/stage.py, a few minutes)
#
# It installs the Debian packages it needs (as root, or through sudo), makes .venv with the
# project and its dev extras, starts a private X server with a tray host, a private D-Bus
# session with an unlocked gnome-keyring and a private dockerd (with a local busybox image:
# no registry is needed), runs ruff, mypy, import-linter and pytest (unit, contract,
# integration, gui), stops everything it started and exits non-zero on any failure.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
install=1
windows=1
for arg in "$@"; do
  case "$arg" in
  --no-install) install=0 ;;
  --no-windows) windows=0 ;;
  *) echo "usage: tests/run.sh [--no-install] [--no-windows]" >&2; exit 2 ;;
  esac
done

step() { printf '\n=== %s\n' "$*"; }

PACKAGES=(
  python3 python3-venv python3-dev xvfb x11-utils xauth trayer docker.io gnome-keyring dbus
  dbus-x11 busybox-static libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
  libxcb-xfixes0 libxcb-xkb1 libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0
  fonts-dejavu-core util-linux binutils desktop-file-utils xz-utils
)
# The Windows stage: Wine 8, NSIS, and binutils for two forwarder DLLs (tests/windows).
((windows)) && PACKAGES+=(wine64 nsis binutils-mingw-w64-x86-64)

if ((install)); then
  step "Debian packages"
  missing=()
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "installing: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "all present"
  fi
fi

step "Python environment (.venv)"
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

services=$(mktemp -d /tmp/rigpilot-services.XXXXXX)
cleanup() {
  local rc=$?
  step "stopping services"
  tests/services.sh stop "$services" || true
  rm -rf "$services" 2>/dev/null || true
  exit $rc
}
trap cleanup EXIT INT TERM

step "private services (Xvfb + trayer, D-Bus + gnome-keyring, dockerd)"
tests/services.sh start "$services"
# shellcheck disable=SC1091
source "$services/env.sh"

failures=()
run() {  # run NAME COMMAND...: run a check, remember a failure, go on with the others
  local name=$1; shift
  step "$name"
  if ! "$@"; then failures+=("$name"); fi
}

run "ruff" .venv/bin/ruff check desktop tests
run "mypy" .venv/bin/mypy
run "import-linter" .venv/bin/lint-imports --no-cache
run "pytest unit" .venv/bin/pytest -q tests/unit
run "pytest contract (every network adapter)" .venv/bin/pytest -q tests/contract
run "packages (PyInstaller bundle, tarball, .deb)" installers/build_linux.sh
export RIGPILOT_BUILD_BUNDLE=1
run "pytest integration" .venv/bin/pytest -q tests/integration
run "pytest gui" .venv/bin/pytest -q tests/gui
((windows)) && run "windows (Windows CPython + installer under Wine)" .venv/bin/python tests/windows/stage.py

step "summary"
if ((${#failures[@]})); then
  echo "FAILED: ${failures[*]}"
  exit 1
fi
echo "all checks passed"
