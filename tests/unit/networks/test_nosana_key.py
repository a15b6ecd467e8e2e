from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from desktop.networks.nosana_key import (
    KeyFileError,
    b58encode,
    create_keypair,
    ensure_keypair,
    read_public_key,
)


def test_base58_known_vectors() -> None:
    assert b58encode(b"") == ""
    assert b58encode(b"\x00\x00\x01") == "112"
    assert b58encode(b"hello world") == "StV1DL6CwTryKyV"
    # the system program's all-zero key is the well-known 32 ones
    assert b58encode(bytes(32)) == "1" * 32


def test_create_writes_a_user_only_solana_keypair(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "nosana_key.json"
    address = create_keypair(path)
    numbers = json.loads(path.read_text())
    assert len(numbers) == 64 and all(0 <= n <= 255 for n in numbers)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    seed = bytes(numbers[:32])
    public = (
        Ed25519PrivateKey.from_private_bytes(seed)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    assert public == bytes(numbers[32:]) and address == b58encode(public)
    assert read_public_key(path) == address


def test_existing_key_is_reused_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "nosana_key.json"
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    ) + key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    path.write_text(json.dumps(list(raw)))
    before = path.read_bytes()
    address, created = ensure_keypair(path)
    assert not created and address == b58encode(raw[32:])
    with pytest.raises(KeyFileError, match="never overwrites"):
        create_keypair(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a Solana keypair"),
        ("[1, 2, 3]", "64 numbers"),
        (json.dumps([300] * 64), "64 numbers"),
        (json.dumps([1] * 64), "damaged"),
        ("\udcff", "not"),
    ],
)
def test_bad_key_files_are_refused_with_a_reason(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "k.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(KeyFileError, match=message):
        read_public_key(path)


def test_missing_and_huge_files(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="does not exist"):
        read_public_key(tmp_path / "none.json")
    big = tmp_path / "big.json"
    big.write_text("[" + "1," * 5000 + "1]")
    with pytest.raises(KeyFileError, match="too large"):
        read_public_key(big)
