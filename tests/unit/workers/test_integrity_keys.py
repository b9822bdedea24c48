"""The chain key and the seal keys: from settings, else 0600 files in the data directory."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from eventstore import SealSigner
from workers.database import load_keyring
from workers.integrity_keys import (
    CHAIN_KEY_FILE,
    SEAL_SIGNING_KEY_FILE,
    chain_key,
    seal_keys,
    verify_key_text,
)
from workers.key_files import KeyFileError, new_key_text
from workers.settings import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _no_suite_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests set the keys themselves: the suite's (tests.keys) must not leak in."""
    for name in ("PATHWAYS_CHAIN_KEY", "PATHWAYS_SEAL_SIGNING_KEY", "PATHWAYS_SEAL_VERIFY_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_without_settings_both_keys_are_private_files_made_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    first = load_keyring(settings)
    again = load_keyring(settings)

    assert first.chain_key == again.chain_key
    assert first.seal_signer == again.seal_signer
    assert first.seal_verifier == first.seal_signer.verifier  # type: ignore[union-attr]
    for name in (CHAIN_KEY_FILE, SEAL_SIGNING_KEY_FILE):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_settings_win_over_the_files_and_no_file_is_made(tmp_path: Path) -> None:
    key, seed = os.urandom(32), os.urandom(32)
    settings = Settings(
        data_dir=tmp_path,
        chain_key=base64.b64encode(key).decode(),
        seal_signing_key=base64.b64encode(seed).decode(),
    )

    keyring = load_keyring(settings)

    assert keyring.chain_key == key
    assert keyring.seal_signer == SealSigner(seed)
    assert not list(tmp_path.iterdir())


def test_an_auditor_with_only_the_verify_key_verifies_and_cannot_sign(tmp_path: Path) -> None:
    signer = SealSigner(os.urandom(32))
    settings = Settings(
        data_dir=tmp_path,
        chain_key=new_key_text(),
        seal_verify_key=verify_key_text(signer.verifier),
    )

    signing, verifier = seal_keys(settings)

    assert signing is None
    assert verifier == signer.verifier
    assert not (tmp_path / SEAL_SIGNING_KEY_FILE).exists()


def test_a_verify_key_that_is_not_the_signing_keys_half_is_refused(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        seal_signing_key=new_key_text(),
        seal_verify_key=verify_key_text(SealSigner(os.urandom(32)).verifier),
    )

    with pytest.raises(KeyFileError, match="PATHWAYS_SEAL_VERIFY_KEY is not the public key"):
        seal_keys(settings)


@pytest.mark.parametrize("variable", ["chain_key", "seal_signing_key", "seal_verify_key"])
def test_a_malformed_key_setting_is_one_line_naming_it(variable: str) -> None:
    with pytest.raises(SettingsError, match=f"PATHWAYS_{variable.upper()}: .*32 bytes"):
        load_settings(**{variable: base64.b64encode(b"short").decode()})


def test_an_unreadable_chain_key_file_names_the_setting(tmp_path: Path) -> None:
    (tmp_path / CHAIN_KEY_FILE).write_text("not base64 at all!\n")

    with pytest.raises(KeyFileError, match=r"chain\.key: a chain key must be base64"):
        chain_key(Settings(data_dir=tmp_path))
