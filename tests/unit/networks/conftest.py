"""Network test fixtures: the real ledger in tmp, an in-memory keyring, a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

from desktop.ledger.ledger import Ledger


class MemoryKeyring(KeyringBackend):
    """A real keyring backend class (so SecretStore judges it usable) that keeps a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class FakeClock:
    def __init__(self, start: float = 1_767_225_600.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """The real SQLite ledger in a temporary folder."""
    opened = Ledger.open(tmp_path / "ledger.sqlite")
    yield opened
    opened.close()


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    return MemoryKeyring()
