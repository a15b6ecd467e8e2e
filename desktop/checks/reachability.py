"""Whether this computer can be reached from the internet: NAT, and a given TCP port.

Why only from the inside: RigPilot has no server outside that could call back, so it
judges with what it can see. Behind NAT (a home router) the public address the speed-test
endpoint saw is not one of this computer's own; then a port is reachable from outside only
if the router forwards it, which RigPilot checks by connecting to its own public address
while it listens on the port (the router's "NAT loopback"): when that connection arrives,
the port is forwarded; when it does not, the port is closed, or the router has no loopback
(some have none): the result says both.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from dataclasses import dataclass

CONNECT_S = 2.0


def _family(ip: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ipaddress.ip_address(ip).version == 6 else socket.AF_INET


def local_addresses(toward: str | None = None) -> set[str]:
    """This computer's own addresses: loopback, its name's, and the one it would use to
    reach ``toward`` (found with an unconnected UDP socket: nothing is sent)."""
    found = {"127.0.0.1", "::1"}
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.add(str(info[4][0]))
    if toward:
        with (
            contextlib.suppress(OSError, ValueError),
            socket.socket(_family(toward), socket.SOCK_DGRAM) as probe,
        ):
            probe.connect((toward, 9))
            found.add(str(probe.getsockname()[0]))
    return found


def behind_nat(public_ip: str) -> bool:
    """True when the address the internet sees is not one of this computer's."""
    return public_ip not in local_addresses(public_ip)


@dataclass(frozen=True)
class PortProbe:
    reachable: bool
    detail: str


def probe_port(public_ip: str, port: int, connect_s: float = CONNECT_S) -> PortProbe:
    """Listen on ``port`` (unless something already does) and connect to it through the
    public address; reachable when the connection arrives."""
    try:
        family = _family(public_ip)
    except ValueError:
        return PortProbe(False, f"{public_ip!r} is not an IP address")
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    own = True
    try:
        listener.bind(("", port))
        listener.listen(1)
    except OSError:
        own = False  # a program (the network's own agent?) listens there already
        listener.close()
    try:
        with socket.create_connection((public_ip, port), timeout=connect_s):
            pass
    except OSError as exc:
        why = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        return PortProbe(False, f"a connection to {public_ip}:{port} failed ({why})")
    finally:
        if own:
            listener.close()
    who = "RigPilot's test listener" if own else "the program listening on it"
    return PortProbe(True, f"{public_ip}:{port} reached {who}")
