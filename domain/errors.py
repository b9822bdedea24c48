"""The one family of errors the domain raises when a command breaks a rule.

Expected business outcomes (a declined handover, a missed deadline) are events, never errors. A
``DomainError`` means the command was refused and nothing happened; the workflow rejects the update
and the API answers with the message, which names the thing and the rule.
"""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused because it breaks a rule of the domain."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidCommandError(DomainError):
    """The command is malformed for the current situation (bad time, unknown route, ...)."""

    code = "invalid_command"


class PathwayStateError(DomainError):
    """The pathway is in a status that does not allow the command (not opened, closed, paused)."""

    code = "pathway_state"


class UnknownEntityError(DomainError):
    """The command names a handover, gap, consent, offer or deadline the pathway does not have."""

    code = "unknown_entity"


class DuplicateEntityError(DomainError):
    """The command would create a thing whose id already exists in the pathway."""

    code = "duplicate_entity"


class InvalidTransitionError(DomainError):
    """The thing exists but its current status does not allow this step."""

    code = "invalid_transition"


class NotResponsibleError(DomainError):
    """The acting organisation is not the one the rule requires (sender, receiver, responsible)."""

    code = "not_responsible"


class ConsentRequiredError(DomainError):
    """Sharing was refused: no active consent and no recorded legal basis cover it."""

    code = "consent_required"


class TemplateMismatchError(DomainError):
    """The template passed in is not the one the pathway pinned when it was opened."""

    code = "template_mismatch"


class ForbiddenReasonError(DomainError):
    """The reason given is one the domain never accepts for this decision (e.g. a time limit)."""

    code = "forbidden_reason"


class DeadlineNotDueError(DomainError):
    """A deadline was reported missed before it was due."""

    code = "deadline_not_due"
