"""The access log (NEN 7513 style): every read of a person's data, hash-chained and append-only."""

from api.access_log.models import AccessEntry, AccessLogReport, AccessRecord
from api.access_log.purposes import DEFAULT_PURPOSE, Purpose, allowed_purposes
from api.access_log.store import append_access, read_access_log, verify_access_log

__all__ = [
    "DEFAULT_PURPOSE",
    "AccessEntry",
    "AccessLogReport",
    "AccessRecord",
    "Purpose",
    "allowed_purposes",
    "append_access",
    "read_access_log",
    "verify_access_log",
]
