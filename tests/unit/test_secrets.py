"""SecretStore fails closed on missing, failing, null or plaintext keyrings; never logs a value."""

from __future__ import annotations

import logging

import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.errors import KeyringLocked

from desktop.secrets import KeyringUnavailable, SecretStore
from tests.unit.networks.conftest import MemoryKeyring as Memory

CANARY = "canary-0d5e-secret-value"


class PlaintextKeyring(Memory):
    """Named like keyrings.alt's plaintext backend."""


class Locked(Memory):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked(f"cannot store {password}")  # a backend that echoes the value


def test_round_trip_per_network_and_field(caplog: pytest.LogCaptureFixture) -> None:
    backend = Memory()
    store = SecretStore(backend=backend)
    with caplog.at_level(logging.DEBUG):
        store.set("demo", "api_key", CANARY)
        assert store.get("demo", "api_key") == CANARY
        assert store.get("demo", "other") is None
        assert store.delete("demo", "api_key") is True
        assert store.delete("demo", "api_key") is False
    assert backend.items == {}
    assert CANARY not in caplog.text and "demo api_key" in caplog.text


@pytest.mark.parametrize(
    ("backend", "why"),
    [
        (keyring.backends.fail.Keyring(), "no keyring service"),
        (keyring.backends.null.Keyring(), "null backend"),
        (PlaintextKeyring(), "plain text"),
    ],
)
def test_unsafe_backends_are_refused_with_how_to_fix(
    backend: object, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = SecretStore(backend=backend)
    with caplog.at_level(logging.DEBUG), pytest.raises(KeyringUnavailable) as info:
        store.set("nosana", "token", CANARY)
    message = str(info.value)
    assert why in message and "gnome-keyring" in message.lower() and "dbus-run-session" in message
    assert CANARY not in message and CANARY not in caplog.text
    assert store.get("nosana", "token") is None and store.problem() is not None


def test_chainer_with_only_bad_members_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    chainer = keyring.backends.chainer.ChainerBackend()
    monkeypatch.setattr(type(chainer), "backends", [keyring.backends.null.Keyring()], raising=False)
    assert SecretStore(backend=chainer).problem() == "no usable keyring backend is installed"
    monkeypatch.setattr(type(chainer), "backends", [Memory()], raising=False)
    assert SecretStore(backend=chainer).problem() is None


def test_the_default_backend_is_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "get_keyring", lambda: keyring.backends.fail.Keyring())
    with pytest.raises(KeyringUnavailable):
        SecretStore().check()


def test_a_backend_that_does_not_answer_is_found_before_storing() -> None:
    class NoService(Memory):
        def get_password(self, service: str, username: str) -> str | None:
            raise KeyringLocked("collection is locked")

    with pytest.raises(KeyringUnavailable, match="may be locked"):
        SecretStore(backend=NoService()).check()


def test_a_backend_error_never_carries_the_value(caplog: pytest.LogCaptureFixture) -> None:
    store = SecretStore(backend=Locked())
    with caplog.at_level(logging.DEBUG), pytest.raises(KeyringUnavailable) as info:
        store.set("demo", "api_key", CANARY)
    assert "locked" in str(info.value) and CANARY not in str(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is not None
    assert CANARY not in caplog.text
