"""``SeedanceGenerationOperator``: one paid Seedance 2.0 generation per task, any mode.

The worker validates, prices, uploads and submits (seconds), then defers: the triggerer
waits for the minutes the generation takes, and a worker resumes only to download.
Retries reattach to the in-flight prediction (:mod:`..reattach`), a try that died inside
its submit has its task looked up before anything is paid again (:mod:`..pay_once`), and
a cap or a balance check refuses a run before anything is uploaded
(:mod:`.budget`). This is written once, here; each mode (:mod:`.modes`) only declares its
request fields and the core request type that validates them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_seedance import assets
from airflow_provider_seedance.hooks.seedance import DEFAULT_CONN_ID, SeedanceHook
from airflow_provider_seedance.links.seedance import SeedanceVideoLink
from airflow_provider_seedance.operators.budget import BudgetMixin, parse_cap, with_cost
from airflow_provider_seedance.operators.fields import (
    Field,
    is_plain,
    literal_kwargs,
    request_kwargs,
)
from airflow_provider_seedance.operators.rate_limit import (
    DEFAULT_RATE_LIMIT_WORKER_WAIT,
    RateLimitMixin,
)
from airflow_provider_seedance.pay_once import GenerationRequest, PayOnceMixin
from airflow_provider_seedance.reattach import PredictionLedger, ledger_for, request_key
from airflow_provider_seedance.results import (
    SeedanceGenerationError,
    parse_event,
    raise_for_event,
    result_dict,
)
from airflow_provider_seedance.storage import prepare_destination, write_videos
from airflow_provider_seedance.templates import PROMPT_LABEL
from airflow_provider_seedance.triggers.seedance import SeedancePredictionTrigger
from shared_client import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_SETTLE_WINDOW,
    APIError,
    GenerationFailedError,
    GenerationTimeoutError,
    InvalidRequestError,
    Prediction,
    SeedanceClient,
    failure_message,
)

log = logging.getLogger(__name__)

PREDICTION_ID_XCOM_KEY = "prediction_id"
#: The operator's default wait, twice the client's ``DEFAULT_TIMEOUT``; see the class
#: docstring for why.
OPERATOR_TIMEOUT = 3600.0


class SeedanceGenerationOperator(BudgetMixin, PayOnceMixin, RateLimitMixin, BaseOperator):
    """Base of the Seedance generation operators: submit, defer, reattach, pay once, land.

    A mode subclass sets :attr:`REQUEST` (the core request type), :attr:`FIELDS` (its
    request fields) and ``template_fields``, and its ``__init__`` names each field (Airflow
    checks ``.expand()`` arguments against ``__init__`` signatures) and hands them to
    :meth:`_declare`.

    :param model: The Seedance 2.0 model path (default: the core's default for the mode).
        Templated.
    :param extra_params: Parameters the client does not know yet, sent as-is. Templated.
    :param max_cost_usd: Refuse to pay more than this for the run: the request is quoted
        (pricing API, else the offline table) before anything is uploaded, and a dearer
        quote fails the task (``AirflowFailException``: nothing was submitted). Templated,
        so a per-task allocation can come from a :class:`SeedanceQuoteOperator` via XCom.
    :param check_balance: Also refuse a run the account's balance cannot pay.
    :param wavespeed_conn_id: Connection holding the API key (default ``wavespeed_default``).
    :param poll_interval: Seconds between status reads (default: the client's
        ``DEFAULT_POLL_INTERVAL``, 5 s, the minimum WaveSpeed asks for).
    :param timeout: Seconds to wait for the generation before failing the try. The
        default, :data:`OPERATOR_TIMEOUT` (1 h), is deliberately longer than the client's
        ``DEFAULT_TIMEOUT`` (30 min, sized for a person waiting in ComfyUI or a script):
        a scheduled pipeline has nobody waiting, a deferred task holds no worker while
        it waits, and the time includes queueing on WaveSpeed behind every other job of
        the account, so a longer wait is cheap while a timed-out try only costs a retry
        and an alert (the generation is billed either way).
    :param output_path: Folder for the videos: local path or ``ObjectStoragePath`` URI.
        None keeps only the URLs (WaveSpeed deletes them after 7 days). Templated.
    :param deferrable: Wait in the triggerer (default) instead of holding a worker slot.
    :param reattach_on_retry: Reattach a retry to the previous try's prediction, look for
        the task of a try that died inside its submit before paying again, and collect a
        completed prediction (retry after delivery, cleared task) instead of paying again.
        False: every try submits and pays.
    :param settle_window: Seconds after a submit within which its task may still appear in
        the API's history (default 120). A lost answer or a crashed submit is searched for
        this long, in the triggerer, before anything is decided.
    :param resubmit_after_settle: After a lost answer whose task never appeared within the
        window, submit again instead of failing (default False: it may pay twice).
    :param rate_limit_worker_wait: Seconds a try may wait on the worker when the account
        is at its per-minute limit (HTTP 429: nothing was created) before it defers to the
        triggerer until ``Retry-After`` (default 20; 0 defers at once). A busy account
        never fails the task within ``timeout``; see :mod:`.rate_limit`.
    """

    #: The core request type of the mode; it validates every field.
    REQUEST: ClassVar[type[GenerationRequest]]
    #: The mode's request fields, by operator argument (= request field) name.
    FIELDS: ClassVar[Mapping[str, Field]]

    template_fields_renderers = {"extra_params": "json", "prompt": "md"}
    operator_extra_links = (SeedanceVideoLink(),)
    ui_color = "#1f6feb"
    ui_fgcolor = "#ffffff"

    def __init__(
        self,
        *,
        model: str,
        extra_params: dict[str, Any] | None = None,
        max_cost_usd: float | str | None = None,
        check_balance: bool = False,
        wavespeed_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = OPERATOR_TIMEOUT,
        output_path: Any = None,
        deferrable: bool = True,
        reattach_on_retry: bool = True,
        settle_window: float = DEFAULT_SETTLE_WINDOW,
        resubmit_after_settle: bool = False,
        rate_limit_worker_wait: float = DEFAULT_RATE_LIMIT_WORKER_WAIT,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.extra_params = extra_params
        self.max_cost_usd = max_cost_usd
        self.check_balance = check_balance
        self.wavespeed_conn_id = wavespeed_conn_id
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.output_path = output_path
        self.deferrable = deferrable
        self.reattach_on_retry = reattach_on_retry
        self.settle_window = float(settle_window)
        self.resubmit_after_settle = resubmit_after_settle
        self.rate_limit_worker_wait = rate_limit_worker_wait

    @classmethod
    def partial(cls, **kwargs: Any) -> Any:
        """``.partial()`` with a default ``map_index_template``: each mapped task is
        labelled by its shortened prompt in the grid and task list, not 0, 1, 2.

        Set on the partial (not in ``__init__``): Airflow reads the template from the
        mapped operator's partial arguments when it builds the task's context.
        """
        if kwargs.get("map_index_template") is None:
            kwargs["map_index_template"] = PROMPT_LABEL
        return super().partial(**kwargs)  # type: ignore[misc]

    # -- the fields and their validation --
    def _declare(self, **fields: Any) -> None:
        """Set the mode's request fields, then check the literal ones (at parse time)."""
        for name, value in fields.items():
            setattr(self, name, value)
        self._check_static_parameters()

    def _check_static_parameters(self) -> None:
        """Reject bad literal parameters when the DAG is parsed, before any run.

        Templated, XCom and mapped values are checked at execute time, once rendered.
        """
        if not isinstance(self.timeout, int | float) or self.timeout <= 0:
            raise InvalidRequestError("timeout", self.timeout, "a positive number of seconds")
        if not isinstance(self.poll_interval, int | float) or self.poll_interval <= 0:
            raise InvalidRequestError("poll_interval", self.poll_interval, "a positive number")
        wait = self.rate_limit_worker_wait
        if isinstance(wait, bool) or not isinstance(wait, int | float) or wait < 0:
            raise InvalidRequestError("rate_limit_worker_wait", wait, "a number of seconds >= 0")
        if is_plain(self.max_cost_usd):
            parse_cap(self.max_cost_usd)
        kwargs = literal_kwargs(self.FIELDS, self._values())
        if kwargs is not None:
            self.REQUEST(**kwargs)

    def _values(self) -> dict[str, Any]:
        names = (*self.FIELDS, "model", "extra_params")
        return {name: getattr(self, name) for name in names}

    @classmethod
    def request_from(cls, values: Mapping[str, Any]) -> GenerationRequest:
        """The validated request from rendered field values; missing ones take the core's
        defaults. Raises ``InvalidRequestError`` naming the field. Shared with
        :class:`SeedanceQuoteOperator`, so a batch is priced exactly as it will be sent."""
        return cls.REQUEST(**request_kwargs(cls.FIELDS, values))

    def build_request(self) -> GenerationRequest:
        """The validated request from rendered fields; raises ``InvalidRequestError``."""
        return self.request_from(self._values())

    @property
    def hook(self) -> SeedanceHook:
        return SeedanceHook(wavespeed_conn_id=self.wavespeed_conn_id)

    # -- execution --
    def execute(self, context: Any) -> dict[str, Any]:
        """Validate, price, reattach, recover or submit, then defer (or poll here)."""
        return self._run_try(context)

    def _run_try(self, context: Any) -> dict[str, Any]:
        """The body of :meth:`execute`, also where a try resumes after a rate-limit wait
        (calling ``execute`` itself from a resume method trips Airflow 2's guard)."""
        request = self.build_request()  # before anything is uploaded or paid
        self._cap()  # a rendered cap that is not a number fails here, naming the field
        if self.output_path:
            prepare_destination(self.output_path)
        ledger = ledger_for(context, enabled=self.reattach_on_retry)
        deadline = time.time() + float(self.timeout)
        with self.hook.get_conn() as client:
            self._price(context, client, request)
            prediction = self._reattach(client, ledger, request) or self._paid_prediction(
                context, client, request, ledger
            )
            return self._follow(context, client, prediction, ledger, deadline)

    def _follow(
        self,
        context: Any,
        client: SeedanceClient,
        prediction: Prediction,
        ledger: PredictionLedger,
        deadline: float,
    ) -> dict[str, Any]:
        """Publish the id, then finish, defer to the triggerer, or wait on the worker."""
        context["ti"].xcom_push(key=PREDICTION_ID_XCOM_KEY, value=prediction.id)
        if prediction.is_terminal:
            return self._finish(context, client, prediction, ledger)
        if self.deferrable:
            # The link works while the task is deferred: the prediction's result URL.
            SeedanceVideoLink.persist(context, prediction.result_url)
            self.defer(
                trigger=SeedancePredictionTrigger(
                    prediction_id=prediction.id,
                    deadline=deadline,
                    wavespeed_conn_id=self.wavespeed_conn_id,
                    poll_interval=self.poll_interval,
                ),
                method_name="execute_complete",
            )
        return self._finish(context, client, self._wait_here(client, prediction), ledger)

    def _reattach(
        self, client: SeedanceClient, ledger: PredictionLedger, request: GenerationRequest
    ) -> Prediction | None:
        """The previous try's prediction if it is worth following, else None (submit anew).

        Active is followed, completed is collected (nothing paid), failed is forgotten;
        a completed prediction of a *changed* request is forgotten too (see ``reattach``).
        An active one is followed whatever the request now says: it is already paid for.
        """
        previous = ledger.get()
        if not previous:
            return None
        try:
            prediction = client.get_prediction(previous)
        except APIError as err:
            if err.status_code == 404:
                log.warning("Previous prediction %s no longer exists; submitting anew", previous)
                ledger.clear()
                return None
            raise  # cannot tell whether it is running: failing beats paying twice
        if prediction.is_failure:
            log.warning(
                "Previous prediction %s ended %s; submitting a new one",
                previous,
                prediction.status.value,
            )
            ledger.clear()
            return None
        if prediction.is_terminal:
            return self._collect(ledger, request, prediction)
        log.info(
            "Reattaching to prediction %s (%s) from a previous try instead of resubmitting",
            previous,
            prediction.status.value,
        )
        return prediction

    def _collect(
        self, ledger: PredictionLedger, request: GenerationRequest, prediction: Prediction
    ) -> Prediction | None:
        """A completed prediction of this task instance: collect it unless the request changed."""
        recorded = ledger.intent()
        key = request_key(request)
        if recorded is not None and recorded.request_key and recorded.request_key != key:
            log.warning(
                "Prediction %s already completed for this task instance, but for another "
                "request (request key %s, now %s): the request changed, submitting a new one",
                prediction.id,
                recorded.request_key[:16],
                key[:16],
            )
            ledger.clear()
            return None
        log.warning(
            "Prediction %s already completed for this task instance; collecting it, nothing "
            "paid. To generate a new video change the request (prompt, seed, ...) or set "
            "reattach_on_retry=False.",
            prediction.id,
        )
        return prediction

    def _wait_here(self, client: SeedanceClient, prediction: Prediction) -> Prediction:
        """``deferrable=False``: poll on the worker (installations without a triggerer).

        The client logs each status change itself, so the task log shows it once.
        """
        try:
            return client.wait(
                prediction.id, timeout=float(self.timeout), poll_interval=float(self.poll_interval)
            )
        except GenerationFailedError as err:
            return err.prediction
        except GenerationTimeoutError as err:
            raise SeedanceGenerationError(
                f"{err} A retry reattaches to it.", prediction_id=prediction.id
            ) from err

    def execute_complete(self, context: Any, event: Any = None) -> dict[str, Any]:
        """Resume after the trigger: validate the event, download, return the result."""
        parsed = parse_event(event)
        if isinstance(event, Mapping) and event.get("trigger_run"):
            log.info(
                "Accepted the event of trigger run %s for prediction %s (%s)",
                event["trigger_run"],
                parsed.prediction.id,
                parsed.status,
            )
        ledger = ledger_for(context, enabled=self.reattach_on_retry)
        if parsed.status == "failed":
            ledger.clear()  # a failed prediction is final: a retry submits a new one
        prediction = raise_for_event(parsed)  # timeout/error keep the id for a retry
        with self.hook.get_conn() as client:
            return self._finish(context, client, prediction, ledger)

    def _finish(
        self,
        context: Any,
        client: SeedanceClient,
        prediction: Prediction,
        ledger: PredictionLedger,
    ) -> dict[str, Any]:
        """Fail on a failed prediction; otherwise download, link, emit assets, return."""
        if prediction.is_failure:
            ledger.clear()
            raise SeedanceGenerationError(failure_message(prediction), prediction_id=prediction.id)
        record = self._recorded(context)
        prediction = with_cost(prediction, record)
        paths = write_videos(client, prediction, self.output_path) if self.output_path else []
        SeedanceVideoLink.persist(context, prediction.outputs[0] if prediction.outputs else None)
        if paths:
            self._emit_asset_events(context, prediction, paths, record)
        # Completed is collected: the record stays, so a later try of this task instance
        # (a retry after a failure past this point, a cleared task) pays nothing again.
        if ledger.get() != prediction.id:
            ledger.set(prediction.id)
        for path in paths:
            log.info("Video written: %s", path)
        return result_dict(prediction, paths)

    def _emit_asset_events(
        self,
        context: Any,
        prediction: Prediction,
        paths: list[str],
        record: dict[str, Any] | None,
    ) -> None:
        """Tell each outlet's event what was made and what it cost (:mod:`..assets`)."""
        extra = assets.event_extra(
            prediction,
            paths,
            record,
            prompt=getattr(self, "prompt", None),
            seconds=getattr(self, "duration", None),
        )
        assets.emit(context, self.outlets, extra)
