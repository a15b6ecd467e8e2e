"""A fixed-size time series in numpy: what the live charts hold, with no allocation per sample."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np


class RingBuffer:
    """A fixed-capacity time series: timestamps plus named float columns (NaN = not reported).

    Every value is written twice (at ``i`` and ``i + capacity``) so that the ordered contents
    are always one contiguous slice: no ``np.roll`` and no allocation per sample.
    """

    def __init__(self, capacity: int, columns: Sequence[str]) -> None:
        self.capacity = capacity
        self.columns = tuple(columns)
        self._data = np.full((len(self.columns) + 1, 2 * capacity), np.nan)
        self._head = 0
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def clear(self) -> None:
        self._head = self._count = 0

    def extend(self, rows: Iterable[Sequence[float | None]]) -> None:
        """Append rows of ``(ts, col1, col2, ...)``; ``None`` becomes NaN."""
        block = np.array(
            [[math.nan if v is None else float(v) for v in row] for row in rows], dtype=float
        )
        if block.size == 0:
            return
        block = block[-self.capacity :]
        n = len(block)
        idx = (self._head + np.arange(n)) % self.capacity
        self._data[:, idx] = block.T
        self._data[:, idx + self.capacity] = block.T
        self._head = (self._head + n) % self.capacity
        self._count = min(self.capacity, self._count + n)

    def _slice(self, row: int) -> np.ndarray:
        start = (self._head - self._count) % self.capacity
        return self._data[row, start : start + self._count]

    def ts(self) -> np.ndarray:
        return self._slice(0).copy()

    def column(self, name: str) -> np.ndarray:
        return self._slice(self.columns.index(name) + 1).copy()

    def last(self, name: str) -> float | None:
        col = self._slice(self.columns.index(name) + 1)
        finite = col[np.isfinite(col)]
        return float(finite[-1]) if len(finite) else None

    def last_ts(self) -> float | None:
        return float(self._slice(0)[-1]) if self._count else None
