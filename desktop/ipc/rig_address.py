"""A remote rig's address (``user@host``) and what its RigPilot tells a client about itself.

Why the address is checked here and not left to ssh: it becomes an argument of ``ssh``, and
a "host" such as ``-oProxyCommand=...`` would be an option, i.e. a command run on this
computer. So an address is a user name and a host name (or an ``ssh_config`` alias, or
``ssh://user@host:port``), nothing else, and a refusal says what was expected.

``RigInfo`` is the answer of ``rigpilot worker paths --json`` on the rig: where its worker's
socket is, whether it runs, and (only with ``--with-token``, which the SSH route asks for)
the API token, so the client never copies the token to a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec

_NAME = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}"
_HOST = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,252}"
_PLAIN = re.compile(rf"(?:(?P<user>{_NAME})@)?(?P<host>{_HOST})")
_URI = re.compile(
    rf"ssh://(?:(?P<user>{_NAME})@)?(?P<host>{_HOST}|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{{1,5}}))?"
)
EXAMPLE = "user@host, host (an alias from ~/.ssh/config) or ssh://user@host:2222"


class RigAddressError(ValueError):
    """Not a rig address; ``str()`` says what is expected."""


@dataclass(frozen=True)
class RigAddress:
    """One rig as ssh reaches it.

    Attributes:
        text: the address as the user wrote it (trimmed): the rig's name in every message.
    """

    text: str

    @property
    def destination(self) -> str:
        """The ssh destination argument (``user@host`` or ``ssh://user@host:port``)."""
        return self.text

    def __str__(self) -> str:
        return self.text


def parse_rig(text: str) -> RigAddress:
    """``text`` as a rig address, or ``RigAddressError`` naming what is wrong."""
    value = text.strip()
    if not value:
        raise RigAddressError(f"a rig address is empty; expected {EXAMPLE}")
    if value.startswith("-"):
        raise RigAddressError(
            f"{value!r} looks like an ssh option, not a rig; expected {EXAMPLE} (put ssh "
            "options in ~/.ssh/config under a Host alias)"
        )
    uri = _URI.fullmatch(value)
    if uri is not None:
        port = uri.group("port")
        if port is not None and not 1 <= int(port) <= 65535:
            raise RigAddressError(f"the port in {value!r} must be from 1 to 65535")
        return RigAddress(value)
    if _PLAIN.fullmatch(value) is None:
        raise RigAddressError(f"{value!r} is not a rig address; expected {EXAMPLE}")
    return RigAddress(value)


class RigInfo(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """What ``rigpilot worker paths --json`` prints (on the rig, for a client over SSH).

    Unknown fields are allowed so a newer rig may say more to an older client.
    """

    version: str
    protocol: int
    socket: str  # "" where the worker listens on a loopback port (Windows)
    token_file: str
    running: bool
    pid: int | None = None
    token: str | None = None  # only with --with-token


def encode_info(info: RigInfo) -> bytes:
    return msgspec.json.encode(info)


def decode_info(data: bytes) -> RigInfo:
    """Raises ``msgspec.ValidationError`` / ``DecodeError`` on anything else."""
    return msgspec.json.decode(data, type=RigInfo)
