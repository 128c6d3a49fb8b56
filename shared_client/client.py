"""``SeedanceClient``: the synchronous driver of the shared flows.

It owns one httpx connection pool and performs the effects a flow yields (send with
retries, PUT an upload, POST a multipart upload, sleep). What to send, what a response
means, when to retry and when to poll are decided once, in :mod:`.flows`,
:mod:`.protocol` and :mod:`.retry`; :class:`~.async_client.AsyncSeedanceClient` drives
the same flows with ``await``.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from tenacity import Retrying

from . import flows, recovery
from ._base import _NO_AUTH, ClientConfig, T, _multipart, _wait_defaults
from ._httpx_faults import fault_from_httpx
from .async_client import AsyncSeedanceClient
from .download import DownloadTarget, fetch, plan_download, plan_downloads
from .errors import SeedanceError, SubmissionUncertainError
from .flows import Call, Effect, OnUpdate, PutUpload, Sleep
from .media import UploadSource
from .polling import DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT
from .preconditions import check_run
from .protocol import (
    MAX_ENVELOPE_BYTES,
    RequestSpec,
    interpret_response,
    submit_failure,
    transport_failure,
)
from .quotes import balance_flow, budget_flow, quote_flow, usage_flow
from .recovery import DEFAULT_SETTLE_INTERVAL
from .request_common import RequestBase as GenerationRequest
from .retry import FirstFailure, RetryKind
from .story_runner import ShotUpdate, StoryResult, run_story
from .storyboard import Storyboard
from .submit_intent import DEFAULT_SETTLE_WINDOW, SubmitIntent
from .values import Prediction, Quote, Usage

__all__ = ["AsyncSeedanceClient", "SeedanceClient"]


class SeedanceClient(ClientConfig):
    """Synchronous client. One connection pool; use as a context manager or ``close()``."""

    def __init__(
        self, api_key: str | None = None, base_url: str | None = None, **options: Any
    ) -> None:
        super().__init__(api_key, base_url, **options)
        self._http = httpx.Client(**self._httpx_options)

    # -- public API -------------------------------------------------------------------
    def submit(
        self,
        request: GenerationRequest,
        *,
        webhook: str | None = None,
        reconcile: bool = True,
        owner: str | None = None,
        on_intent: Callable[[SubmitIntent], Any] | None = None,
        others: Sequence[SubmitIntent] = (),
        quote: Quote | None = None,
    ) -> Prediction:
        """Upload local media, then send one submit POST; never resent on ambiguity.

        ``on_intent`` is called with the :class:`SubmitIntent` before the POST leaves
        (store it where a restart finds it); ``owner`` names the caller in it. A
        ``quote`` taken beforehand is carried as the prediction's ``cost_usd``.
        """
        return self._run(
            self._submit_flow(request, webhook, reconcile, owner, on_intent, others, quote)
        )

    def check_budget(
        self,
        request: GenerationRequest,
        *,
        max_cost_usd: float | None = None,
        check_balance: bool = False,
    ) -> Quote | None:
        """The gate ``generate()`` runs before paying, on its own: quote, then refuse over
        the cap (:class:`BudgetExceededError`) or the balance
        (:class:`InsufficientBalanceError`). None when neither check is asked for."""
        return self._run(
            budget_flow(
                self.base_url, request, max_cost_usd=max_cost_usd, check_balance=check_balance
            )
        )

    def history(
        self,
        *,
        created_after: str | None = None,
        created_before: str | None = None,
        status: str | None = None,
        model: str | None = None,
        limit: int = 100,
    ) -> list[Prediction]:
        """Recent predictions (the API keeps 7 days), newest first, at most ``limit``.

        Dates are ``YYYY-MM-DD`` or ISO 8601; ``status`` is e.g. ``"completed"``."""
        return self._run(
            recovery.history_flow(
                self.base_url,
                created_after=created_after,
                created_before=created_before,
                status=status,
                model=model,
                limit=limit,
            )
        )

    def recover_submission(
        self, intent: SubmitIntent, *, others: Sequence[SubmitIntent] = ()
    ) -> Prediction | None:
        """One history search for the task ``intent``'s POST created; None if none shows."""
        return self._run(recovery.recover_flow(self.base_url, intent, others=others))

    def settle_submission(
        self,
        intent: SubmitIntent,
        *,
        settle_window: float = DEFAULT_SETTLE_WINDOW,
        interval: float = DEFAULT_SETTLE_INTERVAL,
        others: Callable[[], Sequence[SubmitIntent]] | None = None,
        on_search: Callable[[float], Any] | None = None,
    ) -> Prediction | None:
        """Search the history until the task appears or the settle window (counted from
        ``intent.not_before``) has passed; None then means the history provably has none."""
        return self._run(self._settle_flow(intent, settle_window, interval, others, on_search))

    def get_prediction(self, prediction_id: str, *, result_url: str | None = None) -> Prediction:
        return self._run(flows.get_flow(self.base_url, prediction_id, result_url))

    def wait(
        self,
        prediction_id: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_update: OnUpdate | None = None,
        raise_on_failure: bool = True,
        result_url: str | None = None,
        first_poll_after: float = 0.0,
    ) -> Prediction:
        """Poll until terminal; raises on failure (unless told not to) and on timeout."""
        return self._run(
            self._wait_flow(
                prediction_id,
                timeout,
                poll_interval,
                on_update,
                raise_on_failure,
                result_url,
                first_poll_after,
            )
        )

    def generate(
        self,
        request: GenerationRequest,
        *,
        dest: str | os.PathLike[str] | None = None,
        max_cost_usd: float | None = None,
        check_balance: bool = False,
        on_submitted: OnUpdate | None = None,
        on_quote: Callable[[Quote], Any] | None = None,
        **wait_options: Any,
    ) -> Prediction:
        """The one paying path: check, quote, gate, submit, wait, download; raises on a
        failed generation and on timeout.

        Before anything is uploaded or paid: every local input is readable and ``dest``
        (when given) can be written (:class:`PreconditionError`); the run is quoted, and
        refused over ``max_cost_usd`` (:class:`BudgetExceededError`) or, with
        ``check_balance``, over the balance (:class:`InsufficientBalanceError`). The
        result carries the quote as ``cost_usd`` (``cost_source`` "api" or "table") and,
        with ``dest``, the saved files. ``on_quote`` gets the quote before anything is
        sent; ``on_submitted`` the prediction the moment the submit returns (its id is
        what to resume with).
        """
        folder = check_run([request], dest=dest)
        final = self._run(
            flows.generate_flow(
                self.base_url,
                request,
                clock=time.monotonic,
                max_cost_usd=max_cost_usd,
                check_balance=check_balance,
                on_submitted=on_submitted,
                on_quote=on_quote,
                **_wait_defaults(wait_options),
            )
        )
        if folder is None:
            return final
        return final.saved_to(self.download_all(final, folder))

    def generate_story(
        self,
        board: Storyboard,
        dest: str | os.PathLike[str],
        *,
        max_cost_usd: float | None = None,
        on_update: Callable[[ShotUpdate], Any] | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        settle_window: float = DEFAULT_SETTLE_WINDOW,
    ) -> StoryResult:
        """Generate every shot of ``board`` (each paid once), stitch the film into ``dest``.

        The whole board is quoted first and refused over ``max_cost_usd`` with nothing
        paid; a re-run reuses finished shots. Needs the ``stories`` extra (PyAV, Pillow).
        """

        async def run() -> StoryResult:
            async with AsyncSeedanceClient(**self._same_settings()) as twin:
                return await run_story(
                    twin,
                    board,
                    dest,
                    max_cost_usd=max_cost_usd,
                    on_update=on_update,
                    poll_interval=poll_interval,
                    timeout=timeout,
                    settle_window=settle_window,
                )

        return asyncio.run(run())

    def quote(self, request: GenerationRequest) -> Quote:
        """The price of one run: the pricing API's, or the offline table's when it is
        unreachable (``Quote.source`` says which). Nothing is uploaded or paid."""
        return self._run(quote_flow(self.base_url, request))

    def balance(self) -> float:
        """The account balance in USD."""
        return self._run(balance_flow(self.base_url))

    def usage(self, start_date: str, end_date: str, *, model: str | None = None) -> Usage:
        """Requests and cost between two dates (``YYYY-MM-DD``), in total and per model."""
        return self._run(usage_flow(self.base_url, start_date, end_date, model))

    def find_submission(self, error: SubmissionUncertainError) -> Prediction | None:
        """The task an uncertain submit created, matched exactly by body fingerprint in the
        API's history; ``None`` when there is none (or the history cannot prove it)."""
        return self._run(flows.find_submission_flow(self.base_url, error))

    def upload(self, source: UploadSource) -> str:
        """Upload a path, bytes or binary file; returns a URL usable as ``image``."""
        return self._run(flows.upload_flow(self.base_url, source))

    def download(
        self, source: str | Prediction, dest: str | os.PathLike[str], *, index: int = 0
    ) -> Path:
        """Stream one output to ``dest`` (a folder or a file path); returns the file's path."""
        return self._download(plan_download(source, dest, index))

    def download_all(self, prediction: Prediction, folder: str | os.PathLike[str]) -> list[Path]:
        return [self._download(target) for target in plan_downloads(prediction, folder)]

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SeedanceClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the driver -------------------------------------------------------------------
    def _run(self, flow: Generator[Effect, Any, T]) -> T:
        result: Any = None
        error: SeedanceError | None = None
        while True:
            try:
                effect = flow.throw(error) if error is not None else flow.send(result)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            result, error = None, None
            try:
                result = self._perform(effect)
            except SeedanceError as exc:
                error = exc

    def _perform(self, effect: Effect) -> Any:
        if isinstance(effect, Sleep):
            time.sleep(effect.seconds)
            return None
        if isinstance(effect, Call):
            return self._call(effect)
        if isinstance(effect, PutUpload):
            spec = RequestSpec(
                "PUT", effect.url, headers=effect.headers, authenticated=False, purpose="upload"
            )
            return self._retrying(lambda: self._put(spec, effect))
        spec = effect.request
        return self._retrying(lambda: self._send(spec, files={"file": _multipart(effect)}))

    def _call(self, call: Call) -> Any:
        started = time.time()
        try:
            return self._retrying(lambda: self._send(call.request), call.retry)
        except SeedanceError as exc:
            if call.retry == "submit":
                raise submit_failure(exc, call.request, started_at=started) from exc
            raise

    def _retrying(self, action: Any, kind: RetryKind = "read") -> Any:
        """The first attempt bare, the rest on tenacity (see :class:`FirstFailure`)."""
        started = time.monotonic()
        try:
            return action()
        except SeedanceError as exc:
            first = FirstFailure(exc, time.monotonic() - started)
        for attempt in Retrying(**self.retry.tenacity_kwargs(kind, elapsed=first.elapsed)):
            with attempt:
                first.replay()
                return action()
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def _send(self, spec: RequestSpec, **extra: Any) -> Any:
        try:
            with self._http.stream(
                spec.method,
                spec.url,
                json=spec.json,
                params=spec.params,
                headers=spec.headers,
                auth=self._auth_for(spec),
                **extra,
            ) as response:
                body = _read_capped(response.iter_bytes())
        except httpx.RequestError as exc:
            raise transport_failure(fault_from_httpx(exc), spec) from exc
        return interpret_response(
            response.status_code, response.headers, body, purpose=spec.purpose
        )

    def _put(self, spec: RequestSpec, effect: PutUpload) -> None:
        headers = {**effect.headers, "Content-Length": str(effect.blob.size)}
        try:
            response = self._http.put(
                effect.url, content=effect.blob.chunks(), headers=headers, auth=_NO_AUTH
            )
        except httpx.RequestError as exc:
            raise transport_failure(fault_from_httpx(exc), spec) from exc
        if response.status_code >= 400:
            interpret_response(
                response.status_code, response.headers, response.content, purpose="upload"
            )

    def _download(self, target: DownloadTarget) -> Path:
        return fetch(self._http, target, self.retry)


def _read_capped(chunks: Iterator[bytes]) -> bytes:
    """Read an envelope, refusing to buffer more than :data:`MAX_ENVELOPE_BYTES`."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > MAX_ENVELOPE_BYTES:
            break
    return bytes(body)
