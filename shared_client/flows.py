"""The client's operations written once, as generators that yield I/O effects.

A flow never touches the network: it yields :class:`Call`, :class:`PutUpload`,
:class:`PostMultipart` or :class:`Sleep`, and the driver (sync or async) performs the
effect and sends the result back in, or throws the error in. This is how the sync and
async clients share every decision (upload fallback, polling, status changes, timeouts)
without writing any of it twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from .effects import Call, Effect, OnUpdate, PostMultipart, PutUpload, Sleep
from .errors import (
    APIError,
    GenerationTimeoutError,
    InvalidResponseError,
    SeedanceError,
    SubmissionUncertainError,
)
from .media import UploadBlob, UploadSource, content_digest, prepare_upload
from .polling import PollSchedule, coalescible
from .protocol import (
    HISTORY_PAGE_SIZE,
    binary_upload_request,
    body_fingerprint,
    check_outcome,
    history_request,
    match_submission,
    parse_prediction,
    result_request,
    submit_request,
    upload_ticket_request,
)
from .quotes import budget_flow
from .recovery import recover_flow
from .request_common import RequestBase as GenerationRequest
from .submit_intent import ANONYMOUS_OWNER, SubmitIntent
from .validation import is_remote
from .values import Prediction, Quote

__all__ = [
    "Call",
    "Effect",
    "OnUpdate",
    "PostMultipart",
    "PutUpload",
    "Sleep",
    "submit_flow",
    "upload_flow",
    "wait_flow",
]

logger = logging.getLogger(__name__)


def upload_flow(base_url: str, source: UploadSource | UploadBlob) -> Generator[Effect, Any, str]:
    """Upload through the ticket + presigned PUT flow; fall back to the older multipart one.

    The fallback is taken only when the ticket endpoint does not exist (404/405), so an
    installation or proxy that only knows ``upload/binary`` still works.
    """
    blob = source if isinstance(source, UploadBlob) else prepare_upload(source)
    ticket_spec = upload_ticket_request(base_url, blob.filename, blob.size, blob.content_type)
    try:
        ticket = yield Call(ticket_spec, "read")
    except APIError as exc:
        if exc.status_code not in (404, 405):
            raise
        logger.info(
            "upload ticket endpoint unavailable (HTTP %s); using upload/binary", exc.status_code
        )
        data = yield PostMultipart(binary_upload_request(base_url), blob)
        return _download_url(data)
    upload = ticket.get("upload")
    if not isinstance(upload, dict) or not isinstance(upload.get("url"), str):
        raise InvalidResponseError("upload ticket without an 'upload.url' to send the bytes to")
    headers = upload.get("headers") if isinstance(upload.get("headers"), dict) else {}
    yield PutUpload(upload["url"], {str(k): str(v) for k, v in (headers or {}).items()}, blob)
    return _download_url(ticket)


def submit_flow(
    base_url: str,
    request: GenerationRequest,
    *,
    webhook: str | None = None,
    quote: Quote | None = None,
    reconcile: bool = True,
    owner: str | None = None,
    on_intent: Callable[[SubmitIntent], Any] | None = None,
    others: Sequence[SubmitIntent] = (),
    wall_clock: Callable[[], float] = time.time,
) -> Generator[Effect, Any, Prediction]:
    """Upload local media, record the intent, then send exactly one submit POST.

    ``on_intent`` receives the :class:`SubmitIntent` (the exact body's fingerprint, the
    time, ``owner``) *before* the POST leaves; if it raises, nothing is sent, so a caller
    that cannot write its record down never pays for a task it could not find again.

    If the POST's answer is lost after it was sent, the POST is never resent; with
    ``reconcile`` the history is searched once for the task (exact body fingerprint,
    created after the intent, not claimed by one of ``others``), and only if none is
    found does :class:`SubmissionUncertainError` (carrying the intent) reach the caller.
    """
    urls = yield from media_urls_flow(base_url, request)
    body = request.to_body(urls)
    intent = SubmitIntent(
        owner=owner or ANONYMOUS_OWNER,
        model=request.model,
        fingerprint=body_fingerprint(request.model, body),
        not_before=wall_clock(),
    )
    if on_intent is not None:
        on_intent(intent)
    try:
        data = yield Call(submit_request(base_url, request.model, body, webhook=webhook), "submit")
    except SubmissionUncertainError as uncertain:
        uncertain.intent = intent
        if not reconcile:
            raise
        found = yield from _reconcile(base_url, intent, others)
        if found is None:
            raise
        return found
    prediction = with_cost(parse_prediction(data), quote)
    # DEBUG: each face says "submitted" in its own words (the CLI's quote line, the
    # operator's task-log line, the node's progress); the core's line is for debugging.
    logger.debug(
        "submitted prediction %s (%s)%s",
        prediction.id,
        request.model,
        f", quoted {quote.describe()}" if quote else "",
    )
    return prediction


def media_urls_flow(
    base_url: str, request: GenerationRequest
) -> Generator[Effect, Any, dict[str, Any]]:
    """The URL of every media field: remote ones as given, local ones uploaded, each
    distinct content once (two fields holding the same file share one upload)."""
    uploaded: dict[str, str] = {}

    def url_of(source: Any) -> Generator[Effect, Any, str]:
        if is_remote(source):
            return str(source)
        blob = prepare_upload(source)
        digest = content_digest(blob)
        if digest not in uploaded:
            uploaded[digest] = yield from upload_flow(base_url, blob)
        return uploaded[digest]

    urls: dict[str, Any] = {}
    for name, value in request.media_inputs().items():
        if isinstance(value, tuple):
            listed = []
            for item in value:
                listed.append((yield from url_of(item)))
            urls[name] = listed
        else:
            urls[name] = yield from url_of(value)
    return urls


def with_cost(prediction: Prediction, quote: Quote | None) -> Prediction:
    """The prediction carrying the quote taken before it was submitted, when there is one."""
    if quote is None:
        return prediction
    return replace(prediction, cost_usd=quote.usd, cost_source=quote.source)


def get_flow(
    base_url: str, prediction_id: str, result_url: str | None = None
) -> Generator[Effect, Any, Prediction]:
    """Read one prediction; any error names it, so the caller can reconcile later."""
    try:
        data = yield Call(result_request(base_url, prediction_id, result_url), "read")
        return parse_prediction(data)
    except SeedanceError as exc:
        exc.about(prediction_id)
        raise


def wait_flow(
    base_url: str,
    prediction_id: str,
    *,
    clock: Callable[[], float],
    timeout: float,
    poll_interval: float,
    on_update: OnUpdate | None = None,
    raise_on_failure: bool = True,
    result_url: str | None = None,
    first_poll_after: float = 0.0,
) -> Generator[Effect, Any, Prediction]:
    """Poll until the prediction is terminal or the wall-clock ``timeout`` passes.

    Polls keep a fixed cadence: the time a status read takes counts towards the next
    interval, so slow answers do not push every later poll back. ``first_poll_after``
    skips the pointless read right after a submit (which already said ``created``).
    """
    schedule = PollSchedule.starting_now(clock(), poll_interval=poll_interval, timeout=timeout)
    last_status = None
    due = clock()  # when the next poll is due: the cadence, kept even if a wait overruns
    if first_poll_after > 0:
        due += min(first_poll_after, timeout)
        coalesce = coalescible(first_poll_after, 0.0, timeout)
        yield Sleep(min(first_poll_after, timeout), coalesce=coalesce)
    while True:
        prediction = yield from get_flow(base_url, prediction_id, result_url)
        result_url = prediction.result_url or result_url
        if prediction.status is not last_status:
            last_status = prediction.status
            logger.info("prediction %s is %s", prediction_id, prediction.status.value)
            if on_update is not None:
                on_update(prediction)
        if prediction.is_terminal:
            return check_outcome(prediction) if raise_on_failure else prediction
        now = clock()
        delay = schedule.next_delay(now)
        if delay is None:
            raise GenerationTimeoutError(
                f"prediction {prediction_id} still {prediction.status.value} after {timeout:g} s; "
                "it may still finish (and is billed): wait on this id again to collect it",
                prediction_id=prediction_id,
                last_status=prediction.status.value,
                timeout=timeout,
            )
        # From the last due time, not the last poll's start: a wait that ended late (on
        # the grid, or on a busy loop) does not push every later poll back.
        due = max(due + delay, now)
        yield Sleep(due - now, coalesce=coalescible(delay, now, schedule.deadline))


def generate_flow(
    base_url: str,
    request: GenerationRequest,
    *,
    clock: Callable[[], float],
    timeout: float,
    poll_interval: float,
    on_update: OnUpdate | None = None,
    raise_on_failure: bool = True,
    first_poll_after: float | None = None,
    max_cost_usd: float | None = None,
    check_balance: bool = False,
    on_submitted: OnUpdate | None = None,
    on_quote: Callable[[Quote], Any] | None = None,
) -> Generator[Effect, Any, Prediction]:
    """The paying path after the run's local preconditions: quote, gate, submit, wait.

    The run is always quoted first (the pricing API, else the offline table), so the
    result carries its cost; over ``max_cost_usd`` or (with ``check_balance``) over the
    balance it is refused (:class:`BudgetExceededError`, :class:`InsufficientBalanceError`)
    before anything is uploaded or paid. ``on_submitted`` receives the prediction as soon
    as the submit returns (a face's "resume with this id"), ``on_quote`` the quote once
    the gate passed, before anything is uploaded or sent. The first status read waits
    one interval (the submit just said ``created``) unless the submit already returned a
    terminal prediction: sync mode, or a recovered task that had already finished."""
    quote = yield from budget_flow(
        base_url, request, max_cost_usd=max_cost_usd, check_balance=check_balance
    )
    if on_quote is not None and quote is not None:
        on_quote(quote)
    prediction = yield from submit_flow(base_url, request, quote=quote)
    if on_submitted is not None:
        on_submitted(prediction)
    if prediction.is_terminal:
        final = prediction
        if not final.outputs and final.is_success:  # a history row may omit the outputs
            final = yield from get_flow(base_url, final.id, final.result_url)
        final = with_cost(final, quote)
        return check_outcome(final) if raise_on_failure else final
    final = yield from wait_flow(
        base_url,
        prediction.id,
        clock=clock,
        timeout=timeout,
        poll_interval=poll_interval,
        on_update=on_update,
        raise_on_failure=raise_on_failure,
        result_url=prediction.result_url,
        first_poll_after=poll_interval if first_poll_after is None else first_poll_after,
    )
    return with_cost(final, quote)


def find_submission_flow(
    base_url: str, error: SubmissionUncertainError, *, max_pages: int = 5, slack: float = 120.0
) -> Generator[Effect, Any, Prediction | None]:
    """Look for the task an uncertain submit may have created, by exact body fingerprint.

    Searches the model's history from ``slack`` seconds before the submit; returns the
    prediction when one's recorded input is exactly the body that was sent, else None.
    """
    for page in range(1, max_pages + 1):
        spec = history_request(base_url, error.model, error.submitted_at - slack, page)
        data = yield Call(spec, "read")
        items = data.get("items")
        found = match_submission(items, error.model, error.fingerprint)
        if found is not None:
            prediction = parse_prediction(found)
            logger.warning("uncertain submit reconciled: it created prediction %s", prediction.id)
            return prediction
        if not isinstance(items, list) or len(items) < HISTORY_PAGE_SIZE:
            return None
    return None


def _reconcile(
    base_url: str, intent: SubmitIntent, others: Sequence[SubmitIntent]
) -> Generator[Effect, Any, Prediction | None]:
    try:
        return (yield from recover_flow(base_url, intent, others=others))
    except SeedanceError as exc:
        logger.warning("could not search the history for the uncertain submit: %s", exc)
        return None


def _download_url(data: Mapping[str, Any]) -> str:
    url = data.get("download_url") or data.get("url")
    if not isinstance(url, str) or not url:
        raise InvalidResponseError("upload answered without a 'download_url'")
    return url
