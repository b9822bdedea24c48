"""Process settings, read once in each ``main()`` from ``PATHWAYS_*`` environment variables.

Unset service addresses mean *embedded defaults*: a pgserver PostgreSQL and a Temporal CLI dev
server, both keeping their data under ``data_dir`` so that pathways survive a restart.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workers.key_files import parse_key_text
from workers.payload_codec import PayloadKeys, key_file_key, parse_key


class LogFormat(StrEnum):
    """How log lines are rendered."""

    AUTO = "auto"  # JSON unless stderr is a terminal
    JSON = "json"
    CONSOLE = "console"


class OtelExporter(StrEnum):
    """Where OpenTelemetry spans go."""

    NONE = "none"
    CONSOLE = "console"
    OTLP = "otlp"


class SettingsError(Exception):
    """A setting is invalid; the message is one line that names the variable."""


class Settings(BaseSettings):
    """All configuration of a pathways process.

    Attributes mirror the ``PATHWAYS_*`` environment variables documented in the README.
    """

    model_config = SettingsConfigDict(env_prefix="PATHWAYS_", extra="ignore", frozen=True)

    data_dir: Path = Field(default=Path(".pathways"))
    database_url: SecretStr | None = None
    # The schema owner's DSN, used only to migrate; database_url then names the application's
    # login (a member of pathways_app). Unset: database_url migrates too (see connect_database).
    database_owner_url: SecretStr | None = None
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_tls: bool = False
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_api_key: SecretStr | None = None
    # The key that encrypts every Temporal payload (base64 of 32 bytes); unset: a key file in
    # data_dir, created on first use. Previous keys (comma-separated) only decrypt.
    temporal_payload_key: SecretStr | None = None
    temporal_payload_previous_keys: SecretStr | None = None
    # The key-encryption key that wraps every person's data key (base64 of 32 bytes); unset: a
    # key file in data_dir, created on first use while no wrapped data exists.
    key_encryption_key: SecretStr | None = None
    temporal_cli: Path | None = None
    temporal_port: int = Field(default=7233, ge=1, le=65535)
    temporal_ui_port: int = Field(default=8233, ge=1, le=65535)
    task_queue: str = Field(default="pathways", min_length=1)
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.AUTO
    otel_exporter: OtelExporter = OtelExporter.NONE
    otel_endpoint: str | None = None
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    api_host: str = Field(default="127.0.0.1", min_length=1)
    api_port: int = Field(default=8000, ge=1, le=65535)
    # The largest request body the API reads. A command holds at most one free text of 4,000
    # characters, under 48 KiB even with every character escaped; 64 KiB also bounds what a body
    # of unknown keys costs to refuse (15 ms measured; 256 KiB of them took 0.24 s).
    api_max_body_bytes: int = Field(default=64 * 1024, ge=4096, le=64 * 1024 * 1024)
    # How often each worker seals the final part of the global log; 0 turns sealing off.
    seal_interval_seconds: float = Field(default=60.0, ge=0)
    # Tamper evidence (workers/integrity_keys.py), each base64 of 32 bytes; unset: chain.key and
    # seal-signing.key in data_dir, created on first use. The verify key alone lets a process
    # check seals and anchors without being able to seal.
    chain_key: SecretStr | None = None
    seal_signing_key: SecretStr | None = None
    seal_verify_key: SecretStr | None = None

    @field_validator("database_url", "database_owner_url")
    @classmethod
    def _dsn_is_postgres(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        parts = urlsplit(value.get_secret_value())
        if parts.scheme not in {"postgres", "postgresql"}:
            msg = "must be a postgresql:// DSN"
            raise ValueError(msg)
        if not (parts.hostname or "host=" in parts.query):
            msg = "must name a host (postgresql://user:password@host:5432/dbname)"
            raise ValueError(msg)
        try:
            _ = parts.port
        except ValueError:
            msg = "has an invalid port"
            raise ValueError(msg) from None
        return value

    @field_validator("temporal_address")
    @classmethod
    def _address_is_host_port(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            msg = "must be host:port, for example localhost:7233"
            raise ValueError(msg)
        return value

    @field_validator("temporal_payload_key", "temporal_payload_previous_keys")
    @classmethod
    def _payload_keys_parse(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        for text in value.get_secret_value().split(","):
            parse_key(text)  # PayloadKeyError is a ValueError: its message names what is wrong
        return value

    @field_validator("key_encryption_key")
    @classmethod
    def _key_encryption_key_parses(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        parse_key_text(value.get_secret_value(), what="a key-encryption key")  # a ValueError
        return value

    @field_validator("chain_key", "seal_signing_key", "seal_verify_key")
    @classmethod
    def _integrity_key_parses(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        parse_key_text(value.get_secret_value())  # KeyFileError is a ValueError naming the fault
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            msg = "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
            raise ValueError(msg)
        return level

    @model_validator(mode="after")
    def _owner_needs_application_login(self) -> Settings:
        if self.database_owner_url is not None and self.database_url is None:
            msg = (
                "PATHWAYS_DATABASE_OWNER_URL: needs PATHWAYS_DATABASE_URL too"
                " (the application's login)"
            )
            raise ValueError(msg)
        return self

    @property
    def embedded_postgres(self) -> bool:
        """True when no DSN is set and pathways runs its own PostgreSQL."""
        return self.database_url is None

    @property
    def embedded_temporal(self) -> bool:
        """True when no address is set and pathways runs the Temporal dev server."""
        return self.temporal_address is None

    @property
    def state_dir(self) -> Path:
        """Absolute data directory."""
        return self.data_dir.expanduser().resolve()

    def payload_keys(self) -> PayloadKeys:
        """The keys of Temporal payloads: the configured ones, or the data directory's key file.

        Raises:
            PayloadKeyError: the key file is unreadable or malformed.
        """
        previous = tuple(
            parse_key(text)
            for text in (
                self.temporal_payload_previous_keys.get_secret_value().split(",")
                if self.temporal_payload_previous_keys is not None
                else []
            )
        )
        if self.temporal_payload_key is not None:
            current = parse_key(self.temporal_payload_key.get_secret_value())
        else:
            current = key_file_key(self.state_dir)
        return PayloadKeys(current=current, previous=previous)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, failing fast with one readable line.

    Raises:
        SettingsError: naming the first invalid variable and why.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        reason = str(first["msg"]).removeprefix("Value error, ")
        if not first["loc"]:  # a rule across settings: its message names them
            raise SettingsError(f"invalid setting {reason}") from None
        field = str(first["loc"][0])
        raise SettingsError(f"invalid setting PATHWAYS_{field.upper()}: {reason}") from None
