"""The WaveSpeed protocol without I/O, in one import: requests, responses, failures.

Everything that decides what a response *means* lives in plain functions over bytes,
status codes, headers and neutral transport faults, so each edge case is a unit test with
no socket (the h11 approach). The sync and async clients are thin drivers that only move
bytes; none of the modules gathered here imports an HTTP library. By concept:

* :mod:`.endpoints`: where each call goes and what it carries (:class:`RequestSpec`);
* :mod:`.envelopes`: what an answer means (``data``, a :class:`Prediction`, or an error);
* :mod:`.outcomes`: what a terminal prediction means for the caller;
* :mod:`.transport_faults`: what a failure with no answer means (:class:`TransportFault`);
* :mod:`.submissions`: how an uncertain submit is recognised, never resent;
* :mod:`.retry`: which failures are worth another attempt.
"""

from __future__ import annotations

from .endpoints import (
    DEFAULT_BASE_URL,
    HISTORY_PAGE_SIZE,
    RequestSpec,
    binary_upload_request,
    history_request,
    normalise_base_url,
    result_request,
    same_origin,
    submit_request,
    upload_ticket_request,
)
from .envelopes import (
    MAX_ENVELOPE_BYTES,
    excerpt,
    interpret_response,
    parse_prediction,
    parse_retry_after,
)
from .outcomes import check_outcome, failure_message
from .retry import RetryKind, is_retryable_read, is_safe_to_resubmit
from .submissions import body_fingerprint, match_submission, submit_failure
from .transport_faults import MAX_REDIRECTS, FaultKind, TransportFault, transport_failure

__all__ = [
    "DEFAULT_BASE_URL",
    "HISTORY_PAGE_SIZE",
    "MAX_ENVELOPE_BYTES",
    "MAX_REDIRECTS",
    "FaultKind",
    "RequestSpec",
    "RetryKind",
    "TransportFault",
    "binary_upload_request",
    "body_fingerprint",
    "check_outcome",
    "excerpt",
    "failure_message",
    "history_request",
    "interpret_response",
    "is_retryable_read",
    "is_safe_to_resubmit",
    "match_submission",
    "normalise_base_url",
    "parse_prediction",
    "parse_retry_after",
    "result_request",
    "same_origin",
    "submit_failure",
    "submit_request",
    "transport_failure",
    "upload_ticket_request",
]
