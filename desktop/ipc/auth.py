"""The API token and the request checks that keep the worker's API to its own user.

The token is 256 random bits in a 0600 file next to the settings. It is made once, on the
first run, without a window where another process could read a half-written or
world-readable file: the bytes go into a private temp file that is then hard-linked into
place, which fails instead of overwriting if a second process won the race. On Windows
"private" is an ACL (desktop/ipc/win_acl.py), set on the temp file before the token is in it.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import sys
from pathlib import Path

from desktop.atomic import unlink_when_free, when_free
from desktop.ipc.win_acl import restrict_to_current_user

TOKEN_BYTES = 32  # 256 bits
_TOKEN_RE = re.compile(r"^[0-9a-f]{64}$")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


class TokenError(Exception):
    """The token file cannot be read or is damaged; ``str()`` says what to do."""


def load_or_create_token(path: Path) -> str:
    """The install's API token; creates it (0600, atomically) on the first call."""
    try:
        return _read_token_made_by_another(path)
    except FileNotFoundError:
        pass
    token = secrets.token_hex(TOKEN_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    old_umask = os.umask(0o077)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            if sys.platform == "win32":  # the mode above means nothing there: set the ACL
                restrict_to_current_user(temp)  # before the token is in the file
            os.write(fd, token.encode("ascii") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temp, path)  # atomic, and never replaces a token another process made
        except FileExistsError:
            return _read_token_made_by_another(path)
        except OSError:  # a file system without hard links: rename (a tiny race window)
            if path.exists():
                return _read_token_made_by_another(path)
            os.replace(temp, path)
        _fsync_dir(path.parent)
    finally:
        os.umask(old_umask)
        unlink_when_free(temp)  # on Windows, once a reader of the new name lets go
    return token


def _read_token_made_by_another(path: Path) -> str:
    """read_token, patient on Windows for a moment: there the process or thread that just
    made the token may be deleting its temp name of the same file, and while a name of a
    file is being deleted, opening the file by another name is refused (permission denied).
    Elsewhere, and after about a second there, the error stands."""
    return when_free(lambda: read_token(path), _unreadable_for_now)


def _unreadable_for_now(exc: Exception) -> bool:
    return isinstance(exc, TokenError) and isinstance(exc.__cause__, PermissionError)


def read_token(path: Path) -> str:
    """Read the token; FileNotFoundError when absent, TokenError when unreadable or damaged."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise
    except PermissionError as exc:
        raise TokenError(
            f"cannot read the API token {path}: permission denied. Run this as the user "
            "who runs RigPilot's worker."
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenError(f"cannot read the API token {path}: {exc}") from exc
    if not _TOKEN_RE.match(text):
        raise TokenError(
            f"the API token file {path} is damaged; stop the worker, delete the file, and "
            "start the worker again (it makes a new one)"
        )
    return text


def token_matches(authorization: str | None, token: str) -> bool:
    """True when an ``Authorization: Bearer <token>`` header carries the token.

    The comparison runs in constant time over bytes so that timing does not leak how many
    leading characters were right.
    """
    if not authorization:
        return False
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode("utf-8", "replace"), token.encode("ascii"))


def host_allowed(host: str | None) -> bool:
    """True for a Host header naming this machine (DNS-rebinding defence).

    Accepts ``localhost``, ``127.0.0.1`` and ``[::1]``, each optionally with ``:port``.
    """
    if not host:
        return False
    host = host.strip().lower()
    for name in _LOCAL_HOSTS:
        if host == name:
            return True
        if host.startswith(name + ":") and host[len(name) + 1 :].isdigit():
            return True
    return False


def _fsync_dir(folder: Path) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
