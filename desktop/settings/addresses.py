"""The two settings kinds that name a place on the network: a listen address and a URL.

Why here and strict: ``metrics.listen`` decides who can reach the worker's metrics and the
alert URLs decide where the rig's news goes, so a typo must be refused with the reason
("port 99999 is not from 1 to 65535") rather than become a server on the wrong address or
alerts that never leave. Pure functions, no sockets: whether the port is free is the
worker's question, asked when it binds.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from desktop.settings.errors import show_value

MAX_URL_CHARS = 2000
_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
_PORT = re.compile(r"[0-9]{1,5}")


def split_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT`` for IPv6) as (host, port); ValueError says what is wrong."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host:
        raise ValueError("it needs HOST:PORT, such as 127.0.0.1:9835")
    if not _PORT.fullmatch(port) or not 1 <= int(port) <= 65535:
        raise ValueError(f"port {port or '(none)'} is not a number from 1 to 65535")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{host!r} is not an IPv6 address") from None
        return host, int(port)
    if ":" in host:
        raise ValueError("write an IPv6 address in brackets, such as [::1]:9835")
    if not _HOSTNAME.fullmatch(host):
        raise ValueError(f"{host!r} is not a host name or an IP address")
    return host, int(port)


def is_loopback(host: str) -> bool:
    """True when only this computer can reach ``host`` (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_text(kind: str, value: Any) -> str:
    """Why ``value`` is not a good ``address`` or ``url`` ("" when it is)."""
    if not isinstance(value, str) or not value.strip():
        return f"got {show_value(value)}"
    text = value.strip()
    if any(ord(c) < 33 or ord(c) == 127 for c in text):
        return "it contains spaces or control characters"
    if kind == "address":
        try:
            split_address(text)
        except ValueError as exc:
            return str(exc)
        return ""
    if len(text) > MAX_URL_CHARS:
        return f"it is {len(text)} characters long; at most {MAX_URL_CHARS}"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"it is not a web address ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"it must start with http:// or https:// (got {show_value(text)})"
    if not parts.hostname:
        return f"it names no server (got {show_value(text)})"
    return ""
