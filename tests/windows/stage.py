"""The Windows stage of tests/run.sh: RigPilot on Windows CPython under Wine, and its installer.

    .venv/bin/python tests/windows/stage.py            # what tests/run.sh runs
    .venv/bin/python tests/windows/stage.py --no-installer   # only the tests on Windows

1. The box (installers/windows/winebox.py): a fresh Windows 10 prefix; Windows CPython
   with the Windows wheels, reused from build/windows while the recipe is unchanged.
2. installers/build_windows.sh starts in the background: PyInstaller under Wine, then
   makensis (zlib here, to save two minutes; releases use the script's LZMA default).
3. Meanwhile, on Windows CPython: tests/unit (minus what tests/windows/unit_selection.py
   names, with why) and tests/windows/test_win_*.py (worker, CLI, lock, kill, paths,
   registry, ACL, keyring, doctor, game guard).
4. On Linux: tests/windows/test_installer.py drives the built setup.exe under Wine.

Prints how long each part took; exits non-zero if any part failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installers" / "windows"))
from winebox import Box, BoxError  # noqa: E402

PYTEST_WINDOWS = [
    "python", "-m", "pytest", "-q", "-ra", "-p", "no:cacheprovider", "--import-mode=importlib",
    # pyproject's addopts and ini options name pytest-qt's; Qt is not part of this tier,
    # so its ini options (qt_api, qt_log_level_fail) are unknown here and only that is let be.
    "-o", "addopts=", "-W", "ignore::pytest.PytestConfigWarning", "--strict-markers",
    "-p", "tests.windows.unit_selection",
    "--timeout", "300",
]  # fmt: skip
WINDOWS_TESTS = ["tests/unit", "tests/windows"]


def failures_first(output: str, budget: int = 60000) -> str:
    """pytest's report from its FAILURES section on (the progress dots before it say nothing),
    cut to ``budget`` characters from the end if a run fails in many places."""
    start = output.find("= FAILURES =")
    if start < 0:
        start = output.find("= ERRORS =")
    shown = output[output.rfind("\n", 0, start) + 1 :] if start >= 0 else output
    return shown[-budget:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-installer", action="store_true", help="skip the build and install")
    parser.add_argument("--box", default=str(ROOT / "build" / "windows"))
    parser.add_argument("tests", nargs="*", default=WINDOWS_TESTS, help="pytest paths or ids")
    args = parser.parse_args()
    box = Box(Path(args.box).resolve(), sys.executable)
    timings: list[tuple[str, float]] = []
    failed: list[str] = []
    started = time.monotonic()
    try:
        t0 = time.monotonic()
        box.prepare()
        timings.append(("Windows box", time.monotonic() - t0))
    except BoxError as exc:
        print(f"stage: the Windows box could not be made: {exc}", file=sys.stderr)
        return 1

    build: subprocess.Popen[bytes] | None = None
    build_log = ROOT / "build" / "build-windows.log"
    if not args.no_installer:
        env = dict(os.environ, RIGPILOT_WINEBOX=str(box.root), RIGPILOT_WINEBOX_READY="1",
                   RIGPILOT_SETUP_COMPRESSION="zlib", PYTHON=sys.executable)  # fmt: skip
        with build_log.open("wb") as log:
            build = subprocess.Popen([str(ROOT / "installers" / "build_windows.sh")], cwd=ROOT,
                                     env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        build_started = time.monotonic()

    t0 = time.monotonic()
    print("=== pytest on Windows CPython under Wine: tests/unit, tests/windows", flush=True)
    tests = box.run([*PYTEST_WINDOWS, *args.tests], check=False, timeout=1800)
    print(failures_first(tests.stdout), tests.stderr[-5000:], sep="\n", flush=True)
    timings.append(("pytest on Windows", time.monotonic() - t0))
    if tests.returncode != 0:
        failed.append("pytest on Windows")

    if build is not None:
        code = build.wait()
        timings.append(("build (PyInstaller + NSIS), alongside", time.monotonic() - build_started))
        print("=== installers/build_windows.sh\n" + build_log.read_text(errors="replace")[-4000:])
        if code != 0:
            failed.append("Windows build")
        else:
            t0 = time.monotonic()
            setup = sorted((ROOT / "dist").glob("rigpilot-*-windows-x64-setup.exe"))[-1]
            env = dict(os.environ, RIGPILOT_WINEBOX=str(box.root),
                       RIGPILOT_WINDOWS_SETUP=str(setup))  # fmt: skip
            installer = subprocess.run([sys.executable, "-m", "pytest", "-q",
                                        "tests/windows/test_installer.py"], cwd=ROOT, env=env,
                                       check=False)  # fmt: skip
            timings.append(("installer under Wine", time.monotonic() - t0))
            if installer.returncode != 0:
                failed.append("installer under Wine")
    box.stop()

    print("=== Windows stage timings")
    for name, seconds in timings:
        print(f"{seconds:6.0f} s  {name}")
    print(f"{time.monotonic() - started:6.0f} s  the Windows stage in all")
    if failed:
        print("FAILED: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
