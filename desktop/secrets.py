"""Network credentials in the OS keyring, and nowhere else; fails closed.

Why: a background worker often finds no Secret Service (systemd, SSH, headless rig), and
``keyring`` then silently falls back to ``fail.Keyring`` (every call raises) or, with
``keyrings.alt`` installed, to a *plaintext* file. RigPilot refuses both (reliability.md §4,
§8 item 13): enrollment stops with a message saying how to get a real keyring, and no
secret is ever written anywhere else. Secret values are never logged or put in exception
messages; only the network and field names are.

``keyring`` is imported at the first read or write, not with this module: finding the
backend loads the Secret Service client and its crypto (about 10 MB), which a worker with
no network enrolled and no fleet secret never needs (issue 18).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

SERVICE = "rigpilot"

HOW_TO_GET_A_KEYRING = (
    "RigPilot keeps network credentials only in your system keyring and never in plain text. "
    "On Linux, install and unlock GNOME Keyring (sudo apt install gnome-keyring) or KWallet "
    "and run RigPilot from your desktop session; on a headless rig, start the worker inside "
    "`dbus-run-session -- sh -c 'gnome-keyring-daemon --unlock --components=secrets "
    "< password-file; rigpilot worker'`."
)


class KeyringUnavailable(RuntimeError):
    """No safe keyring: the message says why and how to get one."""


def _backend_problem(backend: Any) -> str | None:
    """Why this keyring backend must not hold secrets, or None when it is a real keyring."""
    import keyring.backends.fail

    cls = type(backend)
    module = cls.__module__
    name = cls.__name__
    if isinstance(backend, keyring.backends.fail.Keyring):
        return "no keyring service was found (keyring fell back to its failing backend)"
    if module.startswith("keyring.backends.null"):
        return "the keyring is the null backend, which forgets everything"
    if module.startswith("keyrings.alt") and ("plaintext" in name.lower() or "file" in module):
        return f"the only keyring is {module}.{name}, which stores secrets in a plain file"
    if "plaintext" in name.lower():
        return f"the keyring backend {name} stores secrets in plain text"
    if module.startswith("keyring.backends.chainer"):
        members = list(getattr(backend, "backends", []) or [])
        usable = [b for b in members if _backend_problem(b) is None]
        if not usable:
            return "no usable keyring backend is installed"
    return None


class SecretStore:
    """get/set/delete one secret per (network, field) under one keyring service.

    ``backend`` lets tests hand in a keyring backend object; by default the one
    ``keyring.get_keyring()`` picked is used, and judged on every write.
    """

    def __init__(self, service: str = SERVICE, backend: Any | None = None) -> None:
        self.service = service
        self._backend = backend

    def backend(self) -> Any:
        if self._backend is not None:
            return self._backend
        import keyring

        return keyring.get_keyring()

    def backend_name(self) -> str:
        cls = type(self.backend())
        return f"{cls.__module__}.{cls.__name__}"

    def problem(self) -> str | None:
        """Why secrets cannot be stored now, or None when the keyring is usable."""
        return _backend_problem(self.backend())

    def check(self) -> None:
        """Raise KeyringUnavailable when the keyring is missing, failing, plaintext or locked.

        Besides the backend's kind, one harmless read probes it: a Secret Service backend
        is "viable" whenever its library is installed, even with no D-Bus session or a
        locked collection, and that should be found before the user types a secret.
        """
        import keyring.errors

        problem = self.problem()
        if problem is None:
            try:
                self.backend().get_password(self.service, "rigpilot:probe")
            except keyring.errors.KeyringError as exc:
                problem = f"the keyring does not answer ({type(exc).__name__}): it may be locked"
            except Exception as exc:  # D-Bus and backend libraries raise their own errors
                problem = f"the keyring service is not reachable ({type(exc).__name__})"
        if problem is not None:
            raise KeyringUnavailable(f"Cannot store credentials: {problem}. {HOW_TO_GET_A_KEYRING}")

    @staticmethod
    def _user(network: str, field: str) -> str:
        return f"{network}:{field}"

    def set(self, network: str, field: str, value: str) -> None:
        import keyring.errors

        self.check()
        try:
            self.backend().set_password(self.service, self._user(network, field), value)
        except keyring.errors.KeyringError as exc:
            # the exception text of some backends echoes arguments: never pass it on
            raise KeyringUnavailable(
                f"The keyring refused to store {network} {field} ({type(exc).__name__}); "
                f"it may be locked. {HOW_TO_GET_A_KEYRING}"
            ) from None
        log.info("secrets: stored %s %s in %s", network, field, self.backend_name())

    def get(self, network: str, field: str) -> str | None:
        import keyring.errors

        if self.problem() is not None:
            return None
        try:
            value = self.backend().get_password(self.service, self._user(network, field))
        except keyring.errors.KeyringError as exc:
            log.warning("secrets: could not read %s %s (%s)", network, field, type(exc).__name__)
            return None
        return value if isinstance(value, str) else None

    def delete(self, network: str, field: str) -> bool:
        """Forget one secret; True when something was removed."""
        import keyring.errors

        if self.problem() is not None:
            return False
        try:
            self.backend().delete_password(self.service, self._user(network, field))
        except keyring.errors.PasswordDeleteError:
            return False
        except keyring.errors.KeyringError as exc:
            log.warning("secrets: could not delete %s %s (%s)", network, field, type(exc).__name__)
            return False
        log.info("secrets: deleted %s %s", network, field)
        return True
