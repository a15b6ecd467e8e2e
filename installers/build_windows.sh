#!/usr/bin/env bash
# Build RigPilot's Windows installer on Linux (x86_64, Debian 12):
#
#   dist/windows/rigpilot/                        the PyInstaller one-folder bundle (rigpilot.exe,
#                                                 the windowed app and worker; rigpilot-cli.exe)
#   dist/rigpilot-<version>-windows-x64-setup.exe the NSIS installer (per user, no admin)
#
#   installers/build_windows.sh
#   RIGPILOT_WINEBOX=/some/dir installers/build_windows.sh     another box folder
#   RIGPILOT_SETUP_COMPRESSION=zlib ...   faster, larger installer (the test stage uses it)
#
# PyInstaller runs on Windows CPython under Wine (installers/windows/winebox.py makes that
# box), and Debian's makensis builds the installer. Needs: wine64, nsis,
# binutils-mingw-w64-x86-64 (tests/run.sh installs them). Exits non-zero with the reason.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
PY=${PYTHON:-.venv/bin/python}
box=${RIGPILOT_WINEBOX:-build/windows}

die() { echo "build_windows.sh: $*" >&2; exit 1; }
step() { printf '[build_windows] %s\n' "$*"; }

[ -x "$PY" ] || die "no Python at $PY: run tests/run.sh once (it makes .venv) or set PYTHON"
command -v makensis >/dev/null || die "makensis is missing: apt-get install nsis"
version=$("$PY" -c 'import desktop; print(desktop.__version__)')
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "the version '$version' is not X.Y.Z (NSIS needs it)"
winebox() { "$PY" installers/windows/winebox.py --box "$box" "$@"; }
bundle=dist/windows/rigpilot
setup=dist/rigpilot-$version-windows-x64-setup.exe
mkdir -p build dist/windows

if [ "${RIGPILOT_WINEBOX_READY:-0}" != 1 ]; then  # tests/windows/stage.py made it already
  step "Windows box (Wine prefix, Windows CPython and wheels)"
  winebox prepare
fi

step "PyInstaller under Wine (log: build/pyinstaller-windows.log)"
rm -rf "$bundle"
# 20 minutes: about 4 under Wine on 2 idle cores, far more beside a whole test run
if ! winebox --timeout 1200 run -- python -m PyInstaller --noconfirm --log-level WARN --distpath dist/windows \
  --workpath build/pyinstaller-windows installers/rigpilot.spec >build/pyinstaller-windows.log 2>&1; then
  tail -n 30 build/pyinstaller-windows.log >&2
  die "PyInstaller failed under Wine (full log: build/pyinstaller-windows.log)"
fi
for exe in rigpilot.exe rigpilot-cli.exe; do
  [ -f "$bundle/$exe" ] || die "PyInstaller did not produce $bundle/$exe"
done
got=$(winebox run -- "$bundle/rigpilot-cli.exe" --version) ||
  die "the built rigpilot-cli.exe does not start under Wine: $got"
[ "$(tr -d '\r' <<<"$got")" = "rigpilot $version" ] || die "rigpilot-cli.exe says '$got', expected 'rigpilot $version'"
step "bundle: $(du -sh "$bundle" | cut -f1) in $bundle"

step "NSIS installer $setup"
icon=build/pyinstaller-windows/rigpilot/rigpilot.ico
icon_option=()
[ -f "$icon" ] && icon_option=(-DICON="$here/$icon")
makensis -V2 -DVERSION="$version" -DBUNDLE="$here/$bundle" -DOUTFILE="$here/$setup" \
  -DCOMPRESSION="${RIGPILOT_SETUP_COMPRESSION:-lzma}" "${icon_option[@]}" \
  installers/windows/rigpilot.nsi || die "makensis failed"
[ "${RIGPILOT_WINEBOX_READY:-0}" = 1 ] || winebox stop >/dev/null 2>&1 || true
step "done: $(du -h "$setup" | cut -f1)  $setup"
