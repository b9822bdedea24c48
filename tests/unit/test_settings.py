"""Settings fail fast with one clear line that names the variable."""

from __future__ import annotations

import pytest

from workers.settings import LogFormat, SettingsError, load_settings


def test_no_settings_means_embedded_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATHWAYS_DATABASE_URL", raising=False)
    monkeypatch.delenv("PATHWAYS_TEMPORAL_ADDRESS", raising=False)
    settings = load_settings()
    assert settings.embedded_postgres
    assert settings.embedded_temporal
    assert settings.task_queue == "pathways"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PATHWAYS_DATABASE_URL", "mysql://x@y/z", "PATHWAYS_DATABASE_URL: must be a postgresql"),
        ("PATHWAYS_DATABASE_URL", "postgresql:///nohost", "must name a host"),
        ("PATHWAYS_DATABASE_URL", "postgresql://u@h:99999/db", "invalid port"),
        ("PATHWAYS_DATABASE_OWNER_URL", "mysql://x@y/z", "OWNER_URL: must be a postgresql"),
        ("PATHWAYS_TEMPORAL_ADDRESS", "localhost", "PATHWAYS_TEMPORAL_ADDRESS: must be host:port"),
        ("PATHWAYS_LOG_LEVEL", "LOUD", "PATHWAYS_LOG_LEVEL"),
        ("PATHWAYS_OTEL_EXPORTER", "zipkin", "PATHWAYS_OTEL_EXPORTER"),
        ("PATHWAYS_TEMPORAL_PORT", "0", "PATHWAYS_TEMPORAL_PORT"),
        (
            "PATHWAYS_TEMPORAL_PAYLOAD_KEY",
            "not base64!",
            "PAYLOAD_KEY: a payload key must be base64",
        ),
        ("PATHWAYS_TEMPORAL_PAYLOAD_KEY", "c2hvcnQ=", "must be 32 bytes, got 5"),
        ("PATHWAYS_TEMPORAL_PAYLOAD_PREVIOUS_KEYS", "c2hvcnQ=", "PAYLOAD_PREVIOUS_KEYS: a payload"),
        (
            "PATHWAYS_KEY_ENCRYPTION_KEY",
            "c2hvcnQ=",
            "PATHWAYS_KEY_ENCRYPTION_KEY: a key-encryption key must be 32 bytes, got 5",
        ),
    ],
)
def test_an_invalid_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_valid_external_configuration_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWAYS_DATABASE_URL", "postgresql://app:secret@db.internal:5432/pathways")
    monkeypatch.setenv("PATHWAYS_TEMPORAL_ADDRESS", "temporal.internal:7233")
    monkeypatch.setenv("PATHWAYS_LOG_FORMAT", "json")
    settings = load_settings()
    assert not settings.embedded_postgres
    assert settings.temporal_address == "temporal.internal:7233"
    assert settings.log_format is LogFormat.JSON
    assert "secret" not in repr(settings)


def test_an_owner_dsn_without_the_application_dsn_is_one_line_naming_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PATHWAYS_DATABASE_URL", raising=False)
    monkeypatch.setenv("PATHWAYS_DATABASE_OWNER_URL", "postgresql://owner:s@db:5432/pathways")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == (
        "invalid setting PATHWAYS_DATABASE_OWNER_URL: needs PATHWAYS_DATABASE_URL too"
        " (the application's login)"
    )
