"""The warmline exception tree.

Every error the product raises on purpose is a ``WarmlineError``. Adapters translate third-party
errors into this tree at the boundary; one API handler maps it to HTTP problem responses
(``api/problems.py``) using ``status`` and ``title`` and never echoes ``str(exc)`` unless the
error is marked ``public``.

The drawing below is the class hierarchy (indentation is inheritance); ``tests/test_errors.py``
fails when a class is missing from it, drawn under the wrong parent, or drawn but not defined.

```
WarmlineError
├── ConfigurationError            settings refused, missing model assets
├── PackError                     a domain pack that does not validate (file, line, field)
├── InputError                    bad input from a client (public message)
│   ├── EmptyMessage
│   ├── MessageTooLong
│   ├── UndecodableInput
│   └── InvalidText               NUL or another control character
├── NotFound                      an id that does not exist (public message)
│   ├── PackNotFound
│   └── ConversationNotFound
├── NotSignedIn                   the agent console without a signed-in agent (public message)
├── ConversationTokenRequired     a customer route without the conversation's token (401)
├── ConversationAccessDenied      another conversation's token, expired or forged (403)
├── IdentityRejected              an identity token that does not verify, a bare customer id
├── Forbidden                     an agent's role, a CSRF token or a foreign origin (403)
├── RateLimited                   too many requests from one client (429, Retry-After)
├── ConflictError                 a state change that the current state forbids
│   └── ConversationClosed
├── StorageError                  the database failed
└── ConnectorError                the outside world failed
    ├── BackOfficeUnavailable     timeout, refused connection, outage, 5xx
    │   └── BackOfficeCircuitOpen too many failures in a row: calls fail at once for a while
    ├── BackOfficeRejected        the back office refused by its rules (4xx with a reason)
    └── BackOfficeNotFound        the back office has no such record
```
"""

from __future__ import annotations

from dataclasses import dataclass


class WarmlineError(Exception):
    """Base of every error warmline raises on purpose."""

    status: int = 500
    title: str = "Internal error"
    code: str = "internal"
    public: bool = False

    def __init__(self, message: str = "", *, detail: str | None = None) -> None:
        super().__init__(message or self.title)
        self.message = message or self.title
        self.detail = detail

    def public_detail(self) -> str:
        """What a client may be told: the message if it is public, otherwise the title."""
        return self.message if self.public else self.title


class ConfigurationError(WarmlineError):
    title = "Configuration error"
    code = "configuration"


@dataclass(frozen=True)
class PackIssue:
    """One problem in a domain pack, located precisely."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: {self.message}"


class PackError(WarmlineError):
    title = "Invalid domain pack"
    code = "invalid_pack"
    status = 422
    public = True

    def __init__(self, issues: list[PackIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues) or "invalid domain pack")


class InputError(WarmlineError):
    status = 422
    title = "Invalid input"
    code = "invalid_input"
    public = True


class EmptyMessage(InputError):
    title = "Empty message"
    code = "empty_message"


class MessageTooLong(InputError):
    status = 413
    title = "Message too long"
    code = "message_too_long"


class UndecodableInput(InputError):
    status = 400
    title = "Input is not valid UTF-8"
    code = "undecodable_input"


class InvalidText(InputError):
    """A text holds a control character (NUL and the like): refused, never stored."""

    status = 422
    title = "Invalid text"
    code = "invalid_text"


class NotFound(WarmlineError):
    status = 404
    title = "Not found"
    code = "not_found"
    public = True


class PackNotFound(NotFound):
    title = "Pack not found"
    code = "pack_not_found"


class ConversationNotFound(NotFound):
    title = "Conversation not found"
    code = "conversation_not_found"


class NotSignedIn(WarmlineError):
    status = 401
    title = "Not signed in"
    code = "not_signed_in"
    public = True


class ConversationTokenRequired(WarmlineError):
    """A customer route of a conversation reached without the conversation's token."""

    status = 401
    title = "Conversation token required"
    code = "conversation_token_required"
    public = True


class ConversationAccessDenied(WarmlineError):
    """A conversation token that is not this conversation's, or has expired."""

    status = 403
    title = "Not your conversation"
    code = "conversation_access_denied"
    public = True


class IdentityRejected(WarmlineError):
    """An identity token that does not verify, or a customer id offered without one."""

    status = 403
    title = "Identity not accepted"
    code = "identity_rejected"
    public = True


class Forbidden(WarmlineError):
    """The signed-in agent's role does not allow this, or the request is not the page's own
    (CSRF token or origin)."""

    status = 403
    title = "Forbidden"
    code = "forbidden"
    public = True


class RateLimited(WarmlineError):
    """Too many requests from one client (or failed sign-ins for one name) in a window."""

    status = 429
    title = "Too many requests"
    code = "rate_limited"
    public = True

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.headers = {"Retry-After": str(retry_after_s)}


class ConflictError(WarmlineError):
    status = 409
    title = "Conflict"
    code = "conflict"
    public = True


class ConversationClosed(ConflictError):
    title = "Conversation is closed"
    code = "conversation_closed"


class StorageError(WarmlineError):
    status = 503
    title = "Storage unavailable"
    code = "storage_unavailable"


class ConnectorError(WarmlineError):
    status = 502
    title = "Upstream system failed"
    code = "upstream_failed"


class BackOfficeUnavailable(ConnectorError):
    status = 503
    title = "Back office unavailable"
    code = "backoffice_unavailable"


class BackOfficeCircuitOpen(BackOfficeUnavailable):
    """Too many calls failed in a row: calls fail at once until the circuit's pause is over."""

    title = "Back office circuit open"
    code = "circuit_open"


class BackOfficeRejected(ConnectorError):
    """The back office refused the request by its own rules; ``message`` is its reason."""

    status = 409
    title = "Back office refused the request"
    code = "backoffice_rejected"
    public = True
    rule: str | None = None


class BackOfficeNotFound(ConnectorError):
    status = 404
    title = "Back office record not found"
    code = "backoffice_not_found"
    public = True
