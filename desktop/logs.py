"""Logging for each RigPilot process: a rotating file per process in the log folder.

``worker.log``, ``gui.log`` and ``cli.log`` rotate at a few MB so a rig that runs for
months never fills its disk, and a bug report needs only the folder. A filter blanks
anything that looks like a bearer token or an API key, as a second line of defence
behind "never log a secret".
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path

from desktop.paths import Paths, get_paths

PROCESSES = ("worker", "gui", "cli")
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_SECRET = re.compile(
    r"(?i)(bearer\s+|authorization[\"']?\s*[:=]\s*[\"']?|api[_-]?key[\"']?\s*[:=]\s*[\"']?"
    r"|token[\"']?\s*[:=]\s*[\"']?)([A-Za-z0-9._\-~+/]{16,})"
)


class RedactSecrets(logging.Filter):
    """Replace token-like values after "Bearer", "token=", "api_key:" with ``[redacted]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = _SECRET.sub(lambda m: m.group(1) + "[redacted]", message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def log_file(process: str, paths: Paths | None = None) -> Path:
    """The log file of one process kind ("worker", "gui", "cli")."""
    if process not in PROCESSES:
        raise ValueError(f"unknown process {process!r}; expected one of {PROCESSES}")
    return (paths or get_paths()).log_dir / f"{process}.log"


def setup_logging(
    process: str,
    paths: Paths | None = None,
    *,
    level: int = logging.INFO,
    console: bool = False,
) -> Path:
    """Send this process's logs to its rotating file (and stderr with ``console``).

    Safe to call twice: earlier RigPilot handlers are replaced, not stacked.
    """
    paths = (paths or get_paths()).ensure()
    path = log_file(process, paths)
    old_umask = os.umask(0o077)
    try:
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=False
        )
    finally:
        os.umask(old_umask)
    handlers = [handler]
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_rigpilot", False)]:
        root.removeHandler(old)
        old.close()
    formatter = logging.Formatter(FORMAT)
    for h in handlers:
        h.setFormatter(formatter)
        h.addFilter(RedactSecrets())
        h._rigpilot = True  # type: ignore[attr-defined]
        root.addHandler(h)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path


def tail_lines(path: Path, count: int, block: int = 8192) -> list[str]:
    """The last ``count`` lines of a text file, read from the end (cheap on big logs)."""
    if count <= 0:
        return []
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            end = f.tell()
            data = b""
            while end > 0 and data.count(b"\n") <= count:
                step = min(block, end)
                end -= step
                f.seek(end)
                data = f.read(step) + data
    except FileNotFoundError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[-count:]
