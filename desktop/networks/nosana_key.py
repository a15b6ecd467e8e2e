"""The Nosana node key: a Solana JSON keypair file (64 numbers: ed25519 seed + public key).

Why here and this way: the node's wallet *is* its identity and its payout address, so
RigPilot reuses ``~/.nosana/nosana_key.json`` when it exists (the file the node itself would
create on first start) and otherwise creates one in the same place, user-only (0600), never
overwriting. Only the public half (base58, Solana's address format) leaves this module;
the secret half is never copied: not to the keyring, not to the ledger, not to a log.
``cryptography`` is imported where a key is made or checked, not with the module: every
worker loads the module, enrolled in Nosana or not (issue 18).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from desktop.networks.base import NetworkError

DEFAULT_KEY_PATH = Path("~/.nosana/nosana_key.json")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_MAX_KEY_FILE = 4096  # a keypair file is ~250 bytes; anything huge is not one


class KeyFileError(NetworkError):
    """The key file is unreadable or not a Solana keypair."""


def b58encode(data: bytes) -> str:
    """Bitcoin/Solana base58: leading zero bytes become '1'."""
    number = int.from_bytes(data, "big")
    chars: list[str] = []
    while number:
        number, rem = divmod(number, 58)
        chars.append(_B58[rem])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(chars))


def _public_of(seed: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return (
        Ed25519PrivateKey.from_private_bytes(seed)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def read_public_key(path: Path) -> str:
    """The node address (base58 public key) of a keypair file, after checking it is whole."""
    path = path.expanduser()
    try:
        if path.stat().st_size > _MAX_KEY_FILE:
            raise KeyFileError(f"{path} is too large to be a Solana keypair file.")
        numbers = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeyFileError(f"The Nosana key file {path} does not exist.") from None
    except OSError as exc:
        raise KeyFileError(
            f"Cannot read the Nosana key file {path}: {exc.strerror or exc}."
        ) from None
    except UnicodeDecodeError:
        raise KeyFileError(f"{path} is not a Solana keypair file (it is not text).") from None
    except json.JSONDecodeError:
        raise KeyFileError(
            f"{path} is not a Solana keypair file (expected a JSON list of 64 numbers)."
        ) from None
    if (
        not isinstance(numbers, list)
        or len(numbers) != 64
        or not all(isinstance(n, int) and 0 <= n <= 255 for n in numbers)
    ):
        raise KeyFileError(
            f"{path} is not a Solana keypair file (expected a JSON list of 64 numbers)."
        )
    raw = bytes(numbers)
    if _public_of(raw[:32]) != raw[32:]:
        raise KeyFileError(
            f"{path} is damaged: its public half does not match its secret half. "
            "Restore it from your backup."
        )
    return b58encode(raw[32:])


def create_keypair(path: Path) -> str:
    """Create a new keypair file at ``path`` (0600, never overwriting); returns the address."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    payload = json.dumps(list(seed + public), separators=(",", ":")).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"{path} already exists; RigPilot never overwrites a key file."
        ) from None
    try:
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)
    return b58encode(public)


def ensure_keypair(path: Path) -> tuple[str, bool]:
    """Use the key file at ``path`` or create it; returns (address, created)."""
    if path.expanduser().exists():
        return read_public_key(path), False
    return create_keypair(path), True
