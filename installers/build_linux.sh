#!/usr/bin/env bash
# Build RigPilot's Linux packages from this checkout (x86_64):
#
#   dist/rigpilot/                                the PyInstaller one-folder bundle
#   dist/rigpilot-<version>-linux-x86_64.tar.gz   that folder as rigpilot-<version>/, plus share/
#                                                 (desktop entry, icon, systemd user unit)
#   dist/rigpilot_<version>_amd64.deb             /opt/rigpilot, /usr/bin/rigpilot, menu entry,
#                                                 icon, /usr/lib/systemd/user/rigpilot-worker.service
#
#   installers/build_linux.sh            build all three (re-running replaces them)
#   PYTHON=/path/to/python installers/build_linux.sh   another interpreter (default .venv/bin/python)
#   RIGPILOT_DEB_COMPRESSION=fast ...     gzip -1 for the .deb instead of xz -6: what tests/run.sh
#                                         builds (xz took two minutes of its run; releases use xz)
#
# Intermediate files go to build/ (PyInstaller's cache is kept there, so a rebuild is faster).
# Exits non-zero with the reason on the last line when anything fails.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
PY=${PYTHON:-.venv/bin/python}
case "${RIGPILOT_DEB_COMPRESSION:-release}" in
release) deb_compression=(-Zxz -z6) ;;
fast) deb_compression=(-Zgzip -z1) ;;
*) echo "build_linux.sh: RIGPILOT_DEB_COMPRESSION must be release or fast" >&2; exit 2 ;;
esac

die() { echo "build_linux.sh: $*" >&2; exit 1; }
step() { printf '[build_linux] %s\n' "$*"; }

[ "$(uname -s)" = Linux ] || die "this builds the Linux packages; run it on Linux"
[ "$(uname -m)" = x86_64 ] || die "this builds x86_64 packages; this machine is $(uname -m)"
[ -x "$PY" ] || die "no Python at $PY: run tests/run.sh once (it makes .venv) or set PYTHON"
"$PY" -c 'import PyInstaller' 2>/dev/null ||
  die "PyInstaller is missing: $PY -m pip install -e '.[dev]'"
for tool in dpkg-deb tar gzip objdump strip; do
  command -v "$tool" >/dev/null || die "$tool is missing: apt-get install dpkg binutils tar gzip"
done

version=$("$PY" -c 'import desktop; print(desktop.__version__)') ||
  die "cannot read the version from the desktop package"
[[ $version =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || die "the version '$version' is not a valid package version"
bundle=dist/rigpilot
tarball=dist/rigpilot-$version-linux-x86_64.tar.gz
deb=dist/rigpilot_${version}_amd64.deb
mkdir -p build dist

# --- 1. the bundle --------------------------------------------------------------------
step "PyInstaller bundle (a few minutes; log: build/pyinstaller.log)"
if ! "$PY" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  installers/rigpilot.spec >build/pyinstaller.log 2>&1; then
  tail -n 30 build/pyinstaller.log >&2
  die "PyInstaller failed (full log: build/pyinstaller.log)"
fi
[ -x "$bundle/rigpilot" ] || die "PyInstaller did not produce $bundle/rigpilot"
got=$("$bundle/rigpilot" --version 2>&1) || die "the built executable does not start: $got"
[ "$got" = "rigpilot $version" ] || die "the built executable says '$got', expected 'rigpilot $version'"
step "bundle: $(du -sh "$bundle" | cut -f1) in $bundle"

# Copies of the bundle for packaging are hard links (instant, no extra space) when possible.
copy_tree() { cp -al "$1" "$2" 2>/dev/null || cp -a "$1" "$2"; }
# Reproducible archives: fixed owner and file times (SOURCE_DATE_EPOCH, else the last commit).
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

share_tree() {  # share_tree DIR: the desktop entry, icon and unit under DIR/share
  install -D -m 644 installers/linux/rigpilot.desktop "$1/share/applications/rigpilot.desktop"
  install -D -m 644 resources/icons/rigpilot.svg "$1/share/icons/hicolor/scalable/apps/rigpilot.svg"
  install -D -m 644 installers/linux/rigpilot-worker.service "$1/share/systemd/user/rigpilot-worker.service"
}

# --- 2. the tarball -------------------------------------------------------------------
step "tarball $tarball"
stage=build/tarball
rm -rf "$stage"
mkdir -p "$stage"
copy_tree "$bundle" "$stage/rigpilot-$version"
share_tree "$stage/rigpilot-$version"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
  -C "$stage" -cf - "rigpilot-$version" | gzip -n -6 >"$tarball.tmp"
mv "$tarball.tmp" "$tarball"

# --- 3. the .deb ----------------------------------------------------------------------
step "Debian package $deb"
root=build/deb/rigpilot
rm -rf build/deb
mkdir -p "$root/opt" "$root/usr/bin" "$root/DEBIAN"
copy_tree "$bundle" "$root/opt/rigpilot"
ln -s /opt/rigpilot/rigpilot "$root/usr/bin/rigpilot"
share_tree "$root/usr"
mkdir -p "$root/usr/lib/systemd/user"
mv "$root/usr/share/systemd/user/rigpilot-worker.service" "$root/usr/lib/systemd/user/"
rmdir "$root/usr/share/systemd/user" "$root/usr/share/systemd"
install -D -m 644 LICENSE "$root/usr/share/doc/rigpilot/copyright"

# The newest glibc symbol the bundle needs: the oldest libc6 it runs with.
glibc=$(find "$root/opt/rigpilot" -type f \( -name '*.so*' -o -name rigpilot \) -print0 |
  xargs -0 objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' |
  sort -t. -k1,1n -k2,2n -k3,3n -u | tail -n 1)
[ -n "$glibc" ] || die "could not read the glibc version the bundle needs (objdump)"
size_kib=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$size_kib/" -e "s/@GLIBC@/$glibc/" \
  installers/linux/deb/control.in >"$root/DEBIAN/control"
for script in postinst prerm postrm; do
  install -m 755 "installers/linux/deb/$script" "$root/DEBIAN/$script"
done
# Package files are root's and world-readable, whatever the umask of this checkout was.
chmod -R u+rwX,go+rX,go-w "$root"
find "$root" -exec touch -h -d "@$epoch" {} +
dpkg-deb --root-owner-group "${deb_compression[@]}" --build "$root" "$deb.tmp" >/dev/null ||
  die "dpkg-deb failed"
mv "$deb.tmp" "$deb"

step "done:"
ls -l "$tarball" "$deb" | awk '{printf "  %6.1f MB  %s\n", $5 / 1048576, $9}'
