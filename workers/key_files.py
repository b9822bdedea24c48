"""Secrets kept as files in the data directory: the embedded default for every process key.

Each key a deployment holds outside PostgreSQL (the Temporal payload key, the key-encryption key
of personal data, the chain key, the seal signing key) is either given by a setting or, on one
machine, kept in a file of the data directory with mode 0600, created on first use. Several
processes of one machine (``pathways dev up`` starts a worker and the API at once) may arrive
together: the key is written to a private temporary file and linked into place, which fails for
all but the first, so every process reads the same complete key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
from pathlib import Path

KEY_BYTES = 32


class KeyFileError(ValueError):
    """A key (setting or file) is malformed or unreadable; the message is one line."""


def parse_key_text(text: str, *, what: str = "a key") -> bytes:
    """Decode one key given as base64 (standard or URL-safe alphabet) of 32 bytes.

    Raises:
        KeyFileError: not base64, or not 32 bytes long.
    """
    cleaned = text.strip()
    try:
        # "-" and "_" are read as "+" and "/", so both alphabets decode.
        raw = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"{what} must be base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyFileError(f"{what} must be {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def new_key_text() -> str:
    """A fresh random key, as settings and key files hold it."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


def read_key_file(path: Path, *, setting: str, what: str = "a key") -> bytes:
    """The key in ``path``.

    Raises:
        KeyFileError: one line naming the file and the setting that would replace it.
    """
    try:
        return parse_key_text(path.read_text(), what=what)
    except KeyFileError as exc:
        raise KeyFileError(f"{path}: {exc}") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror or exc} (or set {setting})") from None


def key_file_key(path: Path, *, setting: str, what: str = "a key") -> bytes:
    """The key in ``path``, created on first use (mode 0600).

    Raises:
        KeyFileError: the file cannot be made or read; one line naming the path and ``setting``.
    """
    try:
        if not path.exists():
            create_key_file(path, new_key_text())
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror or exc} (or set {setting})") from None
    return read_key_file(path, setting=setting, what=what)


def create_key_file(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` (mode 0600) unless the file exists; True if this call wrote it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text.rstrip("\n") + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:  # another process was first: use its key
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
