"""The keys of tamper evidence: the chain key and the seal signing key (or only its public half).

Both are held by the processes and never by PostgreSQL, so that whoever holds the database alone
can neither re-chain a rewritten stream nor sign a recomputed seal. Each comes from a setting or,
as the embedded default, from a 0600 file in the data directory created on first use
(``workers.key_files``). Every worker, API and CLI process of a deployment needs the same keys:
a process that made its own chain key would write events that every other process's verify
reports as broken.

An auditor's process may hold only ``PATHWAYS_SEAL_VERIFY_KEY``: it then checks every seal and
anchor but cannot seal, and no signing key file is made for it.
"""

from __future__ import annotations

import base64

from eventstore.signing import SealSigner, SealVerifier
from workers import key_files
from workers.settings import Settings

CHAIN_KEY_FILE = "chain.key"
SEAL_SIGNING_KEY_FILE = "seal-signing.key"


def chain_key(settings: Settings) -> bytes:
    """``PATHWAYS_CHAIN_KEY``, else the data directory's ``chain.key`` (made on first use).

    Raises:
        KeyFileError: one line naming the file and the setting.
    """
    if settings.chain_key is not None:
        return key_files.parse_key_text(settings.chain_key.get_secret_value(), what="a chain key")
    return key_files.key_file_key(
        settings.state_dir / CHAIN_KEY_FILE, setting="PATHWAYS_CHAIN_KEY", what="a chain key"
    )


def seal_keys(settings: Settings) -> tuple[SealSigner | None, SealVerifier]:
    """The seal signer and verifier of this process.

    ``PATHWAYS_SEAL_SIGNING_KEY`` (base64 of the 32-byte Ed25519 seed) wins; else, when
    ``PATHWAYS_SEAL_VERIFY_KEY`` is set, the process only verifies; else the data directory's
    ``seal-signing.key`` (made on first use). A verify key set beside a signing key must be its
    public half.

    Raises:
        KeyFileError: a key is unreadable or malformed, or the two keys do not belong together;
            one line naming the setting.
    """
    verifier = (
        None
        if settings.seal_verify_key is None
        else SealVerifier(
            key_files.parse_key_text(
                settings.seal_verify_key.get_secret_value(), what="a seal verify key"
            )
        )
    )
    if settings.seal_signing_key is not None:
        seed = key_files.parse_key_text(
            settings.seal_signing_key.get_secret_value(), what="a seal signing key"
        )
    elif verifier is not None:
        return None, verifier
    else:
        seed = key_files.key_file_key(
            settings.state_dir / SEAL_SIGNING_KEY_FILE,
            setting="PATHWAYS_SEAL_SIGNING_KEY",
            what="a seal signing key",
        )
    signer = SealSigner(seed)
    if verifier is not None and verifier != signer.verifier:
        raise key_files.KeyFileError(
            "PATHWAYS_SEAL_VERIFY_KEY is not the public key of PATHWAYS_SEAL_SIGNING_KEY"
        )
    return signer, signer.verifier


def verify_key_text(verifier: SealVerifier) -> str:
    """The verify key as ``PATHWAYS_SEAL_VERIFY_KEY`` takes it (to hand to auditors)."""
    return base64.urlsafe_b64encode(verifier.public_key).decode()
