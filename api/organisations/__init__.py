"""The organisation registry: which organisations a token, a pathway or a command may name."""

from api.organisations.registry import (
    Organisation,
    OrganisationError,
    add_organisation,
    inactive_or_unknown,
    list_organisations,
    remove_organisation,
)
from api.organisations.seed import seed_organisations, seeded_organisations

__all__ = [
    "Organisation",
    "OrganisationError",
    "add_organisation",
    "inactive_or_unknown",
    "list_organisations",
    "remove_organisation",
    "seed_organisations",
    "seeded_organisations",
]
