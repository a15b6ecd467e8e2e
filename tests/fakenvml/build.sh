#!/usr/bin/env bash
# Build the stand-in NVML library (libnvidia-ml.so.1) the NVML tests and tests/perf run against.
#
#   tests/fakenvml/build.sh [OUTDIR]      default OUTDIR: build/fakenvml at the repository root
#
# It compiles fake_nvml.c (this team's own code, see README.md) and the C baseline nvml_poll.c
# against NVIDIA's own nvml.h, so struct layouts, enum values and prototypes are exact. The
# header is not kept in the repository (NVIDIA's licence): it comes from NVIDIA's PyPI package
# nvidia-nvml-dev, downloaded once with pip into OUTDIR/nvml-header, or from $NVML_INCLUDE_DIR.
# Needs gcc and pip (tests/run.sh installs both); takes about a second once the header is there.
# Nothing is rebuilt when the library is newer than its sources.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/build/fakenvml}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Pinned: the header the stand-in was written and checked against.
pkg=${NVML_DEV_PKG:-nvidia-nvml-dev==13.5.37}
py=${PYTHON:-$root/.venv/bin/python}
[ -x "$py" ] || py=python3

lib=$out/libnvidia-ml.so.1
if [ -f "$lib" ] && [ -x "$out/nvml_poll" ] &&
  [ "$lib" -nt "$here/fake_nvml.c" ] && [ "$lib" -nt "$here/build.sh" ]; then
  echo "fake NVML up to date: $lib"
  exit 0
fi

inc=${NVML_INCLUDE_DIR:-$out/nvml-header}
if [ ! -f "$inc/nvml.h" ]; then
  [ -z "${NVML_INCLUDE_DIR:-}" ] || { echo "build.sh: no nvml.h in $NVML_INCLUDE_DIR" >&2; exit 1; }
  mkdir -p "$inc" "$out/download"
  echo "build.sh: fetching nvml.h from $pkg" >&2
  "$py" -m pip download --quiet --no-deps --dest "$out/download" "$pkg"
  # The wheel is a zip file; nvml.h sits somewhere under nvidia/*/include/.
  "$py" - "$out/download" "$inc/nvml.h" <<'EOF'
import pathlib, sys, zipfile
wheels = sorted(pathlib.Path(sys.argv[1]).glob("nvidia_nvml_dev*.whl"))
if not wheels:
    sys.exit("build.sh: pip downloaded no nvidia_nvml_dev wheel")
with zipfile.ZipFile(wheels[-1]) as z:
    names = [n for n in z.namelist() if n.endswith("/nvml.h")]
    if not names:
        sys.exit(f"build.sh: no nvml.h in {wheels[-1]}")
    pathlib.Path(sys.argv[2]).write_bytes(z.read(names[0]))
EOF
fi

cc=${CC:-gcc}
command -v "$cc" >/dev/null || {
  echo "build.sh: no C compiler ($cc); on Debian/Ubuntu: sudo apt-get install gcc libc6-dev" >&2
  exit 1
}
# Build into a temporary name and rename, so that a test starting meanwhile never loads half a file.
"$cc" -shared -fPIC -O2 -Wall -Wextra -fvisibility=hidden -I"$inc" -o "$lib.tmp" \
  "$here/fake_nvml.c" -Wl,-soname,libnvidia-ml.so.1 -Wl,--no-undefined -lm -lpthread
mv -f "$lib.tmp" "$lib"
ln -sf libnvidia-ml.so.1 "$out/libnvidia-ml.so"
"$cc" -O2 -Wall -Wextra -I"$inc" -o "$out/nvml_poll" "$here/nvml_poll.c" \
  -L"$out" -lnvidia-ml -Wl,-rpath,'$ORIGIN'
echo "built $lib"
