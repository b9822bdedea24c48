"""The key-encryption key (KEK) of a deployment: from a setting, or a key file, and its rotation.

The KEK wraps every person's data key (``eventstore.key_encryption``); PostgreSQL never holds it.
``PATHWAYS_KEY_ENCRYPTION_KEY`` gives it from a secret store; unset, it is the data directory's
``key-encryption.key`` (mode 0600), created on first use, but only while the database holds no
wrapped key: once data exists, a missing key is a refusal naming the setting and the file, never
a fresh key that would silently split the deployment.

A rotation first writes the new key to ``key-encryption.key.next`` (0600, fsynced), then
re-wraps every data key in one transaction, then renames the ``.next`` file over the key file,
which destroys the old key. A crash between the commit and the rename loses nothing: the next
process finds the rows under the ``.next`` key and finishes the rename. A crash before the commit
leaves the old key in force; the stale ``.next`` file is left alone (it might belong to a
rotation running now in another process) and replaced by the next rotation, which holds a lock.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from eventstore.key_encryption import (
    KeyEncryptionKey,
    KeyEncryptionKeys,
    StaticKeyEncryptionKeys,
)
from eventstore.key_hierarchy import Rotation, missing_key_encryption_keys, rewrap_data_keys
from workers import key_files
from workers.key_files import KeyFileError, new_key_text, parse_key_text
from workers.settings import Settings

SETTING = "PATHWAYS_KEY_ENCRYPTION_KEY"
KEY_FILE_NAME = "key-encryption.key"
NEXT_KEY_FILE_NAME = "key-encryption.key.next"


class KeyEncryptionKeyError(KeyFileError):
    """The process must not start (or rotate): the message is one line naming the setting."""


def key_file(settings: Settings) -> Path:
    """Where the embedded default KEK lives."""
    return settings.state_dir / KEY_FILE_NAME


def next_key_file(settings: Settings) -> Path:
    """Where a rotation keeps the new KEK until its commit is reflected in the key file."""
    return settings.state_dir / NEXT_KEY_FILE_NAME


def _configured(settings: Settings) -> bytes | None:
    if settings.key_encryption_key is None:
        return None
    return parse_key_text(
        settings.key_encryption_key.get_secret_value(), what="a key-encryption key"
    )


def _next_key(settings: Settings) -> bytes | None:
    path = next_key_file(settings)
    if not path.exists():
        return None
    return key_files.read_key_file(path, setting=SETTING, what="a key-encryption key")


async def open_key_encryption_keys(
    settings: Settings, pool: asyncpg.Pool
) -> StaticKeyEncryptionKeys:
    """The process's KEK, checked against the database: fail closed.

    Raises:
        KeyEncryptionKeyError: data keys are wrapped under a KEK this process does not hold, the
            key file is missing while wrapped data exists, or the key was retired by a rotation;
            one line naming the setting.
    """
    configured = _configured(settings)
    path = key_file(settings)
    staging = next_key_file(settings)
    pending = _next_key(settings)
    if pending is not None and await _in_use(pool, KeyEncryptionKey(pending).key_id):
        # A rotation committed and then stopped before it could replace the key file (key-file
        # mode) or before the operator installed the new key (setting mode).
        if configured is None:
            _replace(staging, path)  # finish it: this destroys the old key, as it meant to
        elif configured != pending:
            raise KeyEncryptionKeyError(
                f"a rotation re-wrapped personal data under a new key-encryption key, kept in"
                f" {staging}: set {SETTING} to it"
            )
        else:
            staging.unlink()  # the operator installed the new key: the copy is no longer needed
    # Otherwise a ``.next`` key wraps nothing: a rotation that never committed, or one running
    # now in another process. It is left alone (deleting it could lose the key of a rotation
    # about to commit); the next rotation replaces it, under the rotation lock.
    if configured is not None:
        current = configured
    elif path.exists():
        current = key_files.read_key_file(path, setting=SETTING, what="a key-encryption key")
    elif await missing_key_encryption_keys(pool, None):
        raise KeyEncryptionKeyError(
            f"personal data is wrapped under a key-encryption key, and {path} is missing:"
            f" restore it or set {SETTING}"
        )
    else:
        current = key_files.key_file_key(path, setting=SETTING, what="a key-encryption key")
    keys = StaticKeyEncryptionKeys(current)
    where = f"set {SETTING} to it" + ("" if configured is not None else f" or restore {path}")
    missing = await missing_key_encryption_keys(pool, keys)
    if missing:
        raise KeyEncryptionKeyError(
            f"personal data is wrapped under key-encryption key {', '.join(missing)}, which this"
            f" process does not hold: {where}"
        )
    if await pool.fetchval(
        "SELECT retired_at IS NOT NULL FROM eventstore.key_encryption_keys WHERE kek_id = $1",
        keys.current().key_id,
    ):
        raise KeyEncryptionKeyError(
            f"key-encryption key {keys.current().key_id} was retired by a rotation: set"
            f" {SETTING} to the new key"
        )
    return keys


async def _in_use(pool: asyncpg.Pool, kek_id: str) -> bool:
    """Whether ``kek_id`` is registered and not retired (a rotation to it committed)."""
    return bool(
        await pool.fetchval(
            "SELECT count(*) FROM eventstore.key_encryption_keys"
            " WHERE kek_id = $1 AND retired_at IS NULL",
            kek_id,
        )
    )


_ROTATION_LOCK = 0x6B656B726F746174  # "kekrotat"


def _next_key_id(settings: Settings) -> str:
    pending = _next_key(settings)
    return "" if pending is None else KeyEncryptionKey(pending).key_id


def _replace(source: Path, target: Path) -> None:
    # rename() is atomic: the key file holds the old key or the new one, never a mix; the fsync
    # of the directory makes the rename itself survive a power cut.
    source.replace(target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


@dataclass(frozen=True)
class RotationOutcome:
    """What ``pathways admin keys rotate`` did and what the operator must still do.

    ``held`` is what this process holds afterwards: the new key (key file), or still the old
    one (setting) until the operator installs the new key.
    """

    rotation: Rotation
    held: KeyEncryptionKeys
    old_key_destroyed: bool
    new_key_text: str | None
    instructions: str


async def rotate(
    settings: Settings, pool: asyncpg.Pool, keys: KeyEncryptionKeys
) -> RotationOutcome:
    """Make a new KEK, re-wrap every data key under it, and destroy the old one (key-file mode).

    With the setting the old key lives in the operator's secret store: the new key is printed
    once (and kept in ``key-encryption.key.next`` until a process starts with it), and the
    operator sets it and destroys the old one.
    """
    text = new_key_text()
    new = KeyEncryptionKey(parse_key_text(text))
    staging = next_key_file(settings)
    async with pool.acquire() as lock:
        # One rotation at a time, across processes: a second one would replace the first's
        # ``.next`` file between its commit and its rename, and lose the key it committed to.
        await lock.execute("SELECT pg_advisory_lock($1)", _ROTATION_LOCK)
        try:
            if await _in_use(pool, _next_key_id(settings)):
                raise KeyEncryptionKeyError(
                    f"the key of an earlier rotation, in {staging}, is not installed yet: set"
                    f" {SETTING} to it and restart, then rotate again"
                )
            with contextlib.suppress(FileNotFoundError):
                staging.unlink()  # a rotation that never committed: its key wraps nothing
            key_files.create_key_file(staging, text)  # before the commit: never lost
            rotation = await rewrap_data_keys(pool, keys, new)
            if settings.key_encryption_key is None:
                _replace(staging, key_file(settings))
        finally:
            await lock.execute("SELECT pg_advisory_unlock($1)", _ROTATION_LOCK)
    if settings.key_encryption_key is None:
        return RotationOutcome(
            rotation=rotation,
            held=StaticKeyEncryptionKeys(new.secret),
            old_key_destroyed=True,
            new_key_text=None,
            instructions=f"the old key is destroyed; {key_file(settings)} holds the new one;"
            " restart every other process of this deployment",
        )
    return RotationOutcome(
        rotation=rotation,
        held=keys,  # the old key stays in the settings until the operator replaces it
        old_key_destroyed=False,
        new_key_text=text,
        instructions=f"set {SETTING} to the new key in every process and restart them, then"
        f" destroy the old key in your secret store and delete {staging}",
    )
