"""One exception tree for everything the client can report.

Every error says what happened and what to do about it, and none of them ever
holds the API key: messages are built from ids, field names, status codes and
short excerpts of response bodies, never from request headers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from .submit_intent import SubmitIntent
    from .values import Prediction, Quote

#: How a face names a field: ``"reference_images[1]"`` is an argument name in Python
#: and ``--reference-image 2`` at the command line. Python's is the identity.
Words = Callable[[str], str]


def python_words(field: str) -> str:
    return field


__all__ = [
    "APIError",
    "AuthenticationError",
    "BudgetExceededError",
    "DownloadError",
    "GenerationFailedError",
    "GenerationTimeoutError",
    "InsufficientBalanceError",
    "InvalidRequestError",
    "InvalidResponseError",
    "MissingKeyError",
    "PreconditionError",
    "QuoteUnavailableError",
    "RateLimitError",
    "SeedanceError",
    "ServiceUnreachableError",
    "SubmissionUncertainError",
]


class SeedanceError(Exception):
    """Base class of every error raised by ``shared_client``.

    ``prediction_id`` is set whenever the failure concerns a known prediction, so
    callers can always reconcile with the API (or its dashboard) later.
    """

    def __init__(self, message: str, *, prediction_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.prediction_id = prediction_id

    def __str__(self) -> str:
        return self.message

    def in_words(self, words: Words) -> str:
        """The message with each field named the way ``words`` names it (the CLI's options
        and 1-based numbers); errors that name no field return the message as is."""
        return self.message

    def about(self, prediction_id: str) -> SeedanceError:
        """Name the prediction this error concerns, if it does not already; returns self."""
        if self.prediction_id is None:
            self.prediction_id = prediction_id
            if prediction_id not in self.message:
                self.message = f"prediction {prediction_id}: {self.message}"
                self.args = (self.message,)
        return self


class InvalidRequestError(SeedanceError, ValueError):
    """A request parameter was rejected locally, before anything was sent or paid.

    Also a ``ValueError`` so generic validation code (Airflow's templating, ComfyUI's
    input checks) treats it as bad input.
    """

    def __init__(self, field: str, value: Any, allowed: str, *, reason: str | None = None) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        self.reason = reason
        super().__init__(self.in_words(python_words))

    def in_words(self, words: Words) -> str:
        shown = _short_repr(self.value)
        reason = self.reason or "invalid value"
        return f"{words(self.field)}: {reason} {shown}; allowed: {self.allowed}"


class PreconditionError(SeedanceError):
    """Something the run needs beyond its request does not hold, found before paying: a
    destination that cannot be written, an extra that is not installed, an input file
    that cannot be read. Nothing was uploaded, sent or paid.

    ``field`` names what failed in the caller's terms (``dest``, ``extra``, an input
    field), ``need`` says what would make it hold.
    """

    def __init__(self, field: str, problem: str, need: str) -> None:
        self.field = field
        self.problem = problem
        self.need = need
        super().__init__(self.in_words(python_words))

    def in_words(self, words: Words) -> str:
        return f"{words(self.field)}: {self.problem}; {self.need}; nothing was submitted or paid"


class APIError(SeedanceError):
    """The API answered with an error, or could not be understood.

    ``status_code`` is the HTTP status (``None`` when no response arrived), ``code`` the
    API's own code from the envelope when present, ``body_excerpt`` the first few hundred
    characters of the body, for diagnosis.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: int | None = None,
        body_excerpt: str | None = None,
        retry_after: float | None = None,
        prediction_id: str | None = None,
    ) -> None:
        super().__init__(message, prediction_id=prediction_id)
        self.status_code = status_code
        self.code = code
        self.body_excerpt = body_excerpt
        self.retry_after = retry_after

    @property
    def is_server_error(self) -> bool:
        return self.status_code is not None and self.status_code >= 500


class AuthenticationError(APIError):
    """HTTP 401/403: the key is missing, wrong, inactive, or the account is suspended.

    Never retried: the same key will fail the same way.
    """


class MissingKeyError(AuthenticationError):
    """No API key was given and none is in the environment: found before any request."""

    def __init__(self) -> None:
        super().__init__(self.in_words(python_words))

    def in_words(self, words: Words) -> str:
        return (
            "no API key: set the WAVESPEED_API_KEY environment variable or give "
            f"{words('api_key')} (a key comes from https://wavespeed.ai/accesskey)"
        )


class RateLimitError(APIError):
    """HTTP 429: too many requests or too many concurrent tasks for the account level.

    ``retry_after`` (seconds) is the server's ``Retry-After`` when it sent one.
    """


class InvalidResponseError(APIError):
    """The server answered something that is not the API's JSON envelope.

    HTML from a proxy, a truncated body, an envelope without ``data``: the status and
    a short excerpt are kept so the cause can be seen.
    """


class ServiceUnreachableError(APIError):
    """No HTTP response: connection refused, DNS failure, reset, or timeout.

    ``request_sent`` tells whether the request may have reached the server; it is what
    decides whether a submit may be retried.
    """

    def __init__(self, message: str, *, request_sent: bool, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.request_sent = request_sent


class SubmissionUncertainError(SeedanceError):
    """A submit failed after the request was sent: a task may or may not exist.

    Submits are paid and not idempotent, so the client never resends one on its own.
    ``fingerprint`` identifies the request body and ``submitted_at`` (epoch seconds)
    bounds the search window: list recent predictions (the API's history endpoint,
    or the dashboard) created after that time for the model to find the task.
    """

    def __init__(
        self,
        message: str,
        *,
        model: str,
        fingerprint: str,
        submitted_at: float,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message)
        self.model = model
        self.fingerprint = fingerprint
        self.submitted_at = submitted_at
        self.cause = cause
        #: The intent recorded before the POST (owner, fingerprint, time), set by the
        #: submit flow so a caller can keep searching with it (``settle_submission``).
        self.intent: SubmitIntent | None = None


class GenerationFailedError(SeedanceError):
    """The prediction reached a failed terminal status (failed, cancelled, timeout, deleted).

    ``error`` is the API's error text and ``code`` its error code when it gave one
    (1200 moderation, 1401 invalid parameter, 1402 unreachable media, 5xxx server side).
    """

    def __init__(
        self,
        message: str,
        *,
        prediction: Prediction,
        error: str | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(message, prediction_id=prediction.id)
        self.prediction = prediction
        self.error = error
        self.code = code


class GenerationTimeoutError(SeedanceError):
    """The wait's wall-clock deadline passed while the prediction was still in flight.

    The remote task may still finish (and is billed): the id is kept so a later wait can
    pick it up.
    """

    def __init__(
        self, message: str, *, prediction_id: str, last_status: str, timeout: float
    ) -> None:
        super().__init__(message, prediction_id=prediction_id)
        self.last_status = last_status
        self.timeout = timeout


class DownloadError(SeedanceError):
    """An output could not be downloaded completely; no partial file is left behind."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        received: int = 0,
        expected: int | None = None,
        prediction_id: str | None = None,
    ) -> None:
        super().__init__(message, prediction_id=prediction_id)
        self.url = url
        self.received = received
        self.expected = expected


def _short_repr(value: Any, limit: int = 80) -> str:
    """A bounded repr for error messages: bytes show their length, not their content."""
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def allowed_values(values: Sequence[object]) -> str:
    """Format a set of allowed values the same way in every message."""
    return ", ".join(repr(v) if not isinstance(v, str) else v for v in values)


class BudgetExceededError(SeedanceError):
    """The run's quote is above the caller's cap: nothing was uploaded, sent or paid.

    ``quote`` is the price that was compared (with its source, API or offline table),
    ``cap`` the limit in USD.
    """

    def __init__(self, quote: Quote, cap: float) -> None:
        self.quote = quote
        self.cap = cap
        super().__init__(self.in_words(python_words))

    def in_words(self, words: Words) -> str:
        return (
            f"{self.quote.model}: this run costs {self.quote.describe()}, above the cap of "
            f"${self.cap:.4f}; nothing was submitted. Raise {words('max_cost_usd')}, or lower "
            "the duration or resolution, or pick a cheaper tier."
        )


class InsufficientBalanceError(APIError):
    """The account cannot pay for the run.

    Raised before paying when ``check_balance`` found the balance below the quote
    (``status_code`` None), or when the API refused the submit for lack of funds (HTTP 402).
    ``balance`` and ``required`` are in USD when known.
    """

    def __init__(
        self,
        message: str,
        *,
        balance: float | None = None,
        required: float | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message, **details)
        self.balance = balance
        self.required = required

    @classmethod
    def before_paying(cls, what: str, cost: str, balance: float, required: float) -> Self:
        """The one wording of "the balance cannot pay for this", for every caller that
        checks the balance itself (a run, an Airflow batch): nothing was submitted."""
        return cls(
            f"{what}: this costs {cost} but the account holds ${balance:.4f}; nothing was "
            "submitted. Top up the WaveSpeed account.",
            balance=balance,
            required=required,
        )


class QuoteUnavailableError(SeedanceError):
    """No price could be had: the pricing API is unreachable and the offline table does not
    know the model (a path outside the catalogue)."""
