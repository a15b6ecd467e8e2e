"""``Settings``: one immutable, complete and valid set of values, read by the whole worker.

Why immutable and deep-copied: the guard, the scheduler and the API read the same settings
from several threads while a change is being validated; nobody can alter the values in force
except by a ``SettingsStore.patch`` that passed every rule.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any

from desktop.settings.schema import DEFAULTS

_MISSING: Any = object()


class Settings(Mapping[str, Any]):
    """An immutable, complete, valid set of settings (every key of the schema present)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        merged = copy.deepcopy(DEFAULTS)
        merged.update(copy.deepcopy(dict(values or {})))
        self._values = merged

    def __getitem__(self, key: str) -> Any:
        value = self._values[key]
        if value is None or isinstance(value, str | int | float):  # immutable: as it is
            return value
        return copy.deepcopy(value)  # a list or dict: the caller's own copy

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self._values == other._values

    def __hash__(self) -> int:
        return hash(json.dumps(self._values, sort_keys=True))

    def __repr__(self) -> str:
        return f"Settings({self._values!r})"

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """The value of ``key``; an unknown key raises KeyError unless a default is given,
        because ``None`` is a meaningful value here (null = derive from the card)."""
        if key in self._values:
            return self[key]
        if default is _MISSING:
            raise KeyError(key)
        return default

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy(self._values)

    def diff(self, other: Settings) -> list[str]:
        """The keys whose values differ between two settings."""
        return [k for k in self._values if self._values[k] != other._values[k]]

    def replace(self, changes: Mapping[str, Any]) -> Settings:
        return Settings({**self._values, **changes})
