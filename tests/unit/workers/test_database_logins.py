"""The application's DSN is the owner's with another user and password, nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit

from workers.database_logins import with_login


def test_a_login_replaces_only_the_user_and_password_of_a_socket_dsn() -> None:
    dsn = "postgresql://postgres:@/pathways?host=/tmp/pg%20data"

    login = with_login(dsn, "pathways_web", "ab12")

    assert login == "postgresql://pathways_web:ab12@/pathways?host=/tmp/pg%20data"


def test_a_password_with_reserved_characters_is_quoted() -> None:
    login = with_login("postgresql://owner:x@db:5432/p", "web", "a@b:c/d")

    parts = urlsplit(login)
    assert (parts.hostname, parts.port, parts.path) == ("db", 5432, "/p")
    assert parts.password == "a%40b%3Ac%2Fd"
