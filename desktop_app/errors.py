"""The one error hierarchy of JobDesk.

Every error a user can cause is a ``JobDeskError`` whose ``str()`` is a sentence a
person understands; the GUI and the SOAP server show that text as it is.

::

    JobDeskError
     ├── ValidationError(field, message)   bad input; nothing was changed
     │    └── QbxmlLimitError              a value does not fit QuickBooks' limits
     ├── NotFound                           the record does not exist (any more)
     ├── Conflict                           someone else changed it, or a duplicate
     ├── InvalidTransition                  the record's status does not allow this
     ├── PermissionDenied                   the signed-in user's role may not do this
     ├── QbxmlError                         QuickBooks XML we cannot read or will not trust
     │    └── HostileXmlError              DTDs, entities, oversized or non-UTF-8 bodies
     └── DatabaseUnavailable                the database cannot be reached right now
"""

from __future__ import annotations


class JobDeskError(Exception):
    """Root of every error JobDesk raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(JobDeskError):
    """Input that cannot be accepted; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFound(JobDeskError):
    """The record asked for does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key} was not found. It may have been deleted by another user.")
        self.kind = kind
        self.key = key


class Conflict(JobDeskError):
    """The change clashes with another change or with an existing record."""


class InvalidTransition(JobDeskError):
    """The record's current status does not allow the action."""


class PermissionDenied(JobDeskError):
    """The signed-in user's role does not allow the action."""

    def __init__(self, action: str, role_needed: str = "Admin") -> None:
        super().__init__(f"Only a user with the {role_needed} role can {action}.")
        self.action = action
        self.role_needed = role_needed


class QbxmlError(JobDeskError):
    """QuickBooks XML that cannot be read."""


class HostileXmlError(QbxmlError):
    """XML refused for safety: DTDs, entities, external references, oversized bodies."""


class QbxmlLimitError(ValidationError):
    """A value that does not fit a QuickBooks limit; names the record and the field."""

    def __init__(self, record: str, field: str, message: str) -> None:
        super().__init__(field, f"{record}: {message}")
        self.record = record
        #: The explanation without the record's name (for messages that already name it).
        self.detail = message


class DatabaseUnavailable(JobDeskError):
    """The database cannot be reached; the caller may retry."""
