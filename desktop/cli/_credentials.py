"""The credentials ``rigpilot enroll`` sends: from ``--field``, the environment, a prompt, or
standard input with ``--secret-stdin``.

Why apart from the command: these rules are the part worth testing alone (no worker), and
the one a hostile test broke: a key piped to ``rigpilot enroll`` was silently ignored while
the command said "enrolled". Secrets never come from arguments (the process list and the
shell history would keep them); input piped without ``--secret-stdin`` is refused, not
dropped.
"""

from __future__ import annotations

import getpass
import io
import os
import select
import sys
from collections.abc import Callable
from typing import TextIO

from desktop.ipc.schema_networks import CredentialField

__all__ = ["collect_credentials", "piped_secret"]


def _env_name(network: str, field: str) -> str:
    return f"RIGPILOT_{network}_{field}".upper().replace("-", "_")


def collect_credentials(
    network: str,
    fields: list[CredentialField],
    given: list[str],
    from_env: bool,
    interactive: bool,
    ask_secret: Callable[[str], str] = getpass.getpass,
    ask: Callable[[str], str] = input,
    supplied: dict[str, str] | None = None,
) -> dict[str, str]:
    """The credentials to send, or ValueError with the sentence to show. ``supplied``
    holds secret values that came another way (``--secret-stdin``)."""
    schema = {f.name: f for f in fields}
    creds: dict[str, str] = dict(supplied or {})
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--field needs NAME=VALUE, got {item!r}")
        if name not in schema:
            raise ValueError(
                f"{network} has no field {name!r}; its fields: {', '.join(schema) or 'none'}"
            )
        if schema[name].secret:
            raise ValueError(
                f"{name} is a secret: it is never taken from the command line (the process list "
                f"and shell history would keep it). Leave it out to be asked, or set "
                f"{_env_name(network, name)} and use --from-env."
            )
        creds[name] = value
    for name, spec in schema.items():
        if name in creds:
            continue
        label = spec.label or name
        if spec.secret and from_env:
            value = os.environ.get(_env_name(network, name), "")
        elif interactive:
            print(f"{label}: {spec.how_to_obtain}", file=sys.stderr)
            prompt = f"{label}{'' if spec.required else ' (Enter to skip)'}: "
            value = (ask_secret if spec.secret else ask)(prompt)
        else:
            value = ""
        if value:
            creds[name] = value
        elif spec.required:
            hint = (
                f"set {_env_name(network, name)} and use --from-env"
                if spec.secret
                else (f"give --field {name}=VALUE")
            )
            raise ValueError(f"{network} needs {label}: {hint}. {spec.how_to_obtain}")
    return creds


def piped_secret(
    network: str, fields: list[CredentialField], from_stdin: bool, stdin: TextIO
) -> dict[str, str]:
    """The secret read with ``--secret-stdin``; without it, input piped to the command is
    refused rather than silently ignored (it used to say "enrolled" without the key).
    Raises ValueError with the sentence to show."""
    secrets = [f.name for f in fields if f.secret]
    if from_stdin:
        if len(secrets) != 1:
            names = ", ".join(secrets) or "none"
            raise ValueError(
                f"--secret-stdin fills one secret field; {network} has {len(secrets)} ({names})"
            )
        value = stdin.read().rstrip("\r\n")
        if not value:
            raise ValueError(f"nothing came on standard input for {network}'s {secrets[0]}")
        return {secrets[0]: value}
    if not stdin.isatty() and _has_input(stdin):
        how = (
            f"add --secret-stdin to give it as {secrets[0]}"
            if len(secrets) == 1
            else f"{network} takes no secret on standard input; see `rigpilot enroll --help`"
        )
        raise ValueError(f"input was piped to rigpilot enroll, but it was not used: {how}")
    return {}


def _has_input(stdin: TextIO) -> bool:
    """Whether stdin holds data (not just an end of file), without waiting for it."""
    try:
        if sys.platform == "win32":
            return _windows_has_input(stdin.fileno())
        ready, _, _ = select.select([stdin], [], [], 0)
        return bool(ready) and os.read(stdin.fileno(), 1) != b""
    except (OSError, ValueError, TypeError, io.UnsupportedOperation):
        return False


if sys.platform == "win32":

    def _windows_has_input(fd: int) -> bool:
        """select() takes only sockets on Windows: a pipe is asked with PeekNamedPipe how
        many bytes wait in it; a file given with ``<`` holds input when it is not empty."""
        import ctypes
        import msvcrt
        import stat
        from ctypes import wintypes

        mode = os.fstat(fd).st_mode
        if stat.S_ISREG(mode):
            return os.fstat(fd).st_size > 0
        waiting = wintypes.DWORD(0)
        peek = ctypes.windll.kernel32.PeekNamedPipe
        handle = wintypes.HANDLE(msvcrt.get_osfhandle(fd))
        return bool(peek(handle, None, 0, None, ctypes.byref(waiting), None)) and bool(
            waiting.value
        )
