"""Where the stand-in ``libnvidia-ml.so.1`` is, built on demand, and how to point a process at it.

The NVML integration test and ``tests/perf/monitors_perf.py`` run real NVML clients (RigPilot's
NVML backend, gpustat, a bare pynvml loop) against this library. pynvml opens
``libnvidia-ml.so.1`` by its soname, and the dynamic loader searches ``LD_LIBRARY_PATH`` first,
so a process started with ``environment(...)`` loads the stand-in instead of any real driver.
The loader reads ``LD_LIBRARY_PATH`` once, at process start: that is why every use here is a
new process, never the test process itself.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_DIR = ROOT / "build" / "fakenvml"
BUILD_TIMEOUT_S = 300.0  # the first build downloads NVIDIA's header with pip
NO_DOCKER = "unix:///nonexistent/rigpilot-no-docker.sock"


class StandInUnavailable(RuntimeError):
    """The library could not be built here; the message says what is missing."""


def library_dir() -> Path:
    """The folder holding the built library: ``$RIGPILOT_FAKE_NVML_DIR``, else build/fakenvml.

    Builds it first when it is missing or older than its source (``build.sh`` decides; it
    takes about a second). A file lock keeps parallel test processes from building at once.
    """
    wanted = os.environ.get("RIGPILOT_FAKE_NVML_DIR")
    target = Path(wanted) if wanted else DEFAULT_DIR
    target.mkdir(parents=True, exist_ok=True)
    if (
        shutil.which(os.environ.get("CC", "gcc")) is None
        and not (target / "libnvidia-ml.so.1").exists()
    ):
        raise StandInUnavailable(
            "no C compiler to build the stand-in NVML library: "
            "install gcc (tests/run.sh does: apt-get install gcc libc6-dev)"
        )
    with open(target / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = subprocess.run(
            ["bash", str(HERE / "build.sh"), str(target)],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
        )
    if result.returncode != 0:
        raise StandInUnavailable(
            f"tests/fakenvml/build.sh failed ({result.returncode}):\n{result.stderr[-2000:]}"
        )
    return target


def environment(lib_dir: Path, **fake: str | int | float) -> dict[str, str]:
    """Variables for a process that should see the stand-in GPU(s).

    ``fake`` are the stand-in's own settings without their prefix, e.g. ``LOAD=100`` for
    ``FAKE_NVML_LOAD=100`` (README.md lists them). ``DOCKER_HOST`` points at nothing, so a
    RigPilot worker started with this starts no container: the GPU is all it watches.
    """
    env = {
        "LD_LIBRARY_PATH": str(lib_dir),
        "DOCKER_HOST": NO_DOCKER,
    }
    env.update({f"FAKE_NVML_{key}": str(value) for key, value in fake.items()})
    return env
