"""A network adapter's small memory on disk (what it last set on the network's side).

Why: a remote-only adapter (Clore.ai availability, Vast.ai listing terms) changes things
the network's API does not fully read back; after a worker restart RigPilot must still
know that availability is off because it turned it off, or which price to list again at.
One JSON object per network in the worker's data folder, written atomically; a missing
or damaged file reads as empty (logged), never as an error.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from desktop.atomic import atomic_write

log = logging.getLogger(__name__)


class Memo:
    """``read()`` the object (``{}`` when absent or damaged); ``write()`` replaces it.
    Without a folder (a test's adapter) it lives in memory only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._data: dict[str, Any] | None = None

    def read(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self._load()
        return dict(self._data)

    def _load(self) -> dict[str, Any]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("%s could not be read (%s); starting from nothing", self.path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def write(self, **values: Any) -> None:
        """Merge ``values`` into the object and save it (a failed save is logged)."""
        data = {**self.read(), **values}
        self._data = data
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
        except OSError as exc:
            log.warning("%s could not be saved (%s)", self.path, exc)

    def clear(self) -> None:
        self._data = {}
        if self.path is not None:
            self.path.unlink(missing_ok=True)
