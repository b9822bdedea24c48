"""The Temporal payload codec: AES-GCM per payload, key rotation, and the embedded key file."""

from __future__ import annotations

import asyncio
import base64
import os
import stat
from collections.abc import Coroutine
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload

from workers.payload_codec import (
    ENCODING,
    KEY_FILE_NAME,
    KEY_ID,
    EncryptionCodec,
    PayloadKeyError,
    PayloadKeys,
    key_file_key,
    key_id,
    new_key_text,
    parse_key,
)
from workers.settings import Settings

OLD, NEW = os.urandom(32), os.urandom(32)
PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"text":"work as a gardener"}')


def _run(coroutine: Coroutine[Any, Any, list[Payload]]) -> list[Payload]:
    return asyncio.run(coroutine)


def test_a_payload_is_ciphertext_naming_its_key_and_decodes_to_itself() -> None:
    codec = EncryptionCodec(PayloadKeys(current=NEW))
    (sealed,) = _run(codec.encode([PLAIN]))
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == key_id(NEW).encode()
    assert b"gardener" not in sealed.data
    assert b"json/plain" not in sealed.data  # the inner metadata is sealed too
    (opened,) = _run(codec.decode([sealed]))
    assert opened == PLAIN
    (again,) = _run(codec.encode([PLAIN]))
    assert again.data != sealed.data, "a fresh nonce per payload"


def test_payloads_from_before_encryption_pass_through() -> None:
    codec = EncryptionCodec(PayloadKeys(current=NEW))
    assert _run(codec.decode([PLAIN])) == [PLAIN]


def test_after_rotation_the_previous_key_still_decrypts_and_the_new_one_encrypts() -> None:
    (old_sealed,) = _run(EncryptionCodec(PayloadKeys(current=OLD)).encode([PLAIN]))
    rotated = EncryptionCodec(PayloadKeys(current=NEW, previous=(OLD,)))
    assert _run(rotated.decode([old_sealed])) == [PLAIN]
    (new_sealed,) = _run(rotated.encode([PLAIN]))
    assert new_sealed.metadata[KEY_ID] == key_id(NEW).encode()
    with pytest.raises(PayloadKeyError, match="which this process does not have"):
        _run(EncryptionCodec(PayloadKeys(current=OLD)).decode([new_sealed]))


def test_an_altered_payload_does_not_decrypt() -> None:
    codec = EncryptionCodec(PayloadKeys(current=NEW))
    (sealed,) = _run(codec.encode([PLAIN]))
    flipped = bytearray(sealed.data)
    flipped[-1] ^= 1
    altered = Payload(metadata=dict(sealed.metadata), data=bytes(flipped))
    with pytest.raises(PayloadKeyError, match="does not decrypt: it was altered"):
        _run(codec.decode([altered]))


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "must be 32 bytes, got 0"), ("%%%", "must be base64"), ("AAAA", "got 3")],
)
def test_a_malformed_key_is_refused(text: str, message: str) -> None:
    with pytest.raises(PayloadKeyError, match=message):
        parse_key(text)


def test_both_base64_alphabets_are_read() -> None:
    raw = bytes(range(256))[-32:]  # bytes whose encodings use "+/" and "-_"
    assert parse_key(base64.b64encode(raw).decode()) == raw
    assert parse_key(base64.urlsafe_b64encode(raw).decode()) == raw
    assert len(parse_key(new_key_text())) == 32


def test_the_embedded_key_file_is_created_once_private_and_reused(tmp_path: Path) -> None:
    first = key_file_key(tmp_path / "data")
    path = tmp_path / "data" / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key_file_key(tmp_path / "data") == first
    assert [p.name for p in (tmp_path / "data").iterdir()] == [KEY_FILE_NAME]


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    with ProcessPoolExecutor(max_workers=6) as pool:
        keys = set(pool.map(key_file_key, [tmp_path] * 24))
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE_NAME]


def test_a_damaged_key_file_is_named(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE_NAME).write_text("truncated")
    with pytest.raises(PayloadKeyError, match=f"{KEY_FILE_NAME}: a payload key must be"):
        key_file_key(tmp_path)


def test_a_key_file_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the data directory should be")
    with pytest.raises(PayloadKeyError, match=f"data/{KEY_FILE_NAME}: .*PAYLOAD_KEY"):
        key_file_key(tmp_path / "data")


def test_settings_prefer_the_configured_keys_to_the_file(tmp_path: Path) -> None:
    configured = Settings(
        data_dir=tmp_path,
        temporal_payload_key=new_key_text(),
        temporal_payload_previous_keys=f"{new_key_text()}, {new_key_text()}",
    ).payload_keys()
    assert len(configured.previous) == 2
    assert not (tmp_path / KEY_FILE_NAME).exists()
    embedded = Settings(data_dir=tmp_path, temporal_payload_key=None).payload_keys()
    assert embedded.current == key_file_key(tmp_path) != configured.current
