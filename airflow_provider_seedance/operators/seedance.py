"""``SeedanceImageToVideoOperator``: one Seedance 2.0 image-to-video generation per task.

The worker validates, uploads and submits (seconds), then defers: the triggerer waits
for the minutes the generation takes, and a worker resumes only to download. Retries
reattach to the in-flight prediction (see :mod:`..reattach`), and a try that died inside
its submit has its task looked up before anything is paid again (see :mod:`..pay_once`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_seedance.hooks.seedance import DEFAULT_CONN_ID, SeedanceHook
from airflow_provider_seedance.links.seedance import SeedanceVideoLink
from airflow_provider_seedance.pay_once import PayOnceMixin
from airflow_provider_seedance.reattach import PredictionLedger, ledger_for
from airflow_provider_seedance.results import (
    SeedanceGenerationError,
    parse_event,
    raise_for_event,
    result_dict,
)
from airflow_provider_seedance.storage import prepare_destination, resolve_image, write_videos
from airflow_provider_seedance.triggers.seedance import SeedancePredictionTrigger
from shared_client import (
    DEFAULT_MODEL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_SETTLE_WINDOW,
    APIError,
    GenerationFailedError,
    GenerationTimeoutError,
    ImageToVideoRequest,
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
#: Stands in for a templated or not-yet-uploaded image when checking the other fields.
_PLACEHOLDER_IMAGE = "https://example.invalid/placeholder.png"


def _is_plain(value: Any) -> bool:
    """True for literal values; False for XComArgs, templates and other deferred values."""
    if isinstance(value, str):
        return "{{" not in value and "{%" not in value
    return value is None or isinstance(value, bool | int | float | Mapping)


class SeedanceImageToVideoOperator(PayOnceMixin, BaseOperator):
    """Generate a video from an image (and optional last frame) with Seedance 2.0.

    :param prompt: Scene, action, camera movement and mood. Templated.
    :param image: Start frame: http(s) URL, local path, ``ObjectStoragePath`` or its URI
        (``s3://...``, ``file://...``); non-URLs are uploaded first. Templated.
    :param last_image: Optional last frame, same forms as ``image``. Templated.
    :param aspect_ratio: 16:9, 9:16, 4:3, 3:4, 1:1, 21:9, or None to follow the image.
    :param resolution: 480p, 720p (default) or 1080p.
    :param duration: Seconds, 4 to 15 (default 5).
    :param generate_audio: Native audio track (default True).
    :param enable_web_search: Let the model search the web (default False).
    :param model: The Seedance 2.0 image-to-video model path (default: mini).
    :param extra_params: Parameters the client does not know yet, sent as-is. Templated.
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
    :param reattach_on_retry: Reattach a retry to the previous try's prediction, and look
        for the task of a try that died inside its submit before paying again.
    :param settle_window: Seconds after a submit within which its task may still appear in
        the API's history (default 120). A lost answer or a crashed submit is searched for
        this long, in the triggerer, before anything is decided.
    :param resubmit_after_settle: After a lost answer whose task never appeared within the
        window, submit again instead of failing (default False: it may pay twice).
    """

    template_fields: Sequence[str] = (
        "prompt",
        "image",
        "last_image",
        "output_path",
        "extra_params",
    )
    template_fields_renderers = {"extra_params": "json", "prompt": "md"}
    operator_extra_links = (SeedanceVideoLink(),)
    ui_color = "#1f6feb"
    ui_fgcolor = "#ffffff"

    def __init__(
        self,
        *,
        prompt: str,
        image: Any,
        last_image: Any = None,
        aspect_ratio: str | None = None,
        resolution: str = "720p",
        duration: int = 5,
        generate_audio: bool = True,
        enable_web_search: bool = False,
        model: str = DEFAULT_MODEL,
        extra_params: dict[str, Any] | None = None,
        wavespeed_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = OPERATOR_TIMEOUT,
        output_path: Any = None,
        deferrable: bool = True,
        reattach_on_retry: bool = True,
        settle_window: float = DEFAULT_SETTLE_WINDOW,
        resubmit_after_settle: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.prompt = prompt
        self.image = image
        self.last_image = last_image
        self.aspect_ratio = aspect_ratio
        self.resolution = resolution
        self.duration = duration
        self.generate_audio = generate_audio
        self.enable_web_search = enable_web_search
        self.model = model
        self.extra_params = extra_params
        self.wavespeed_conn_id = wavespeed_conn_id
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.output_path = output_path
        self.deferrable = deferrable
        self.reattach_on_retry = reattach_on_retry
        self.settle_window = float(settle_window)
        self.resubmit_after_settle = resubmit_after_settle
        self._check_static_parameters()

    # -- validation --
    def _check_static_parameters(self) -> None:
        """Reject bad literal parameters when the DAG is parsed, before any run.

        Templated and mapped values are checked again at execute time, once rendered.
        """
        if not isinstance(self.timeout, int | float) or self.timeout <= 0:
            raise InvalidRequestError("timeout", self.timeout, "a positive number of seconds")
        if not isinstance(self.poll_interval, int | float) or self.poll_interval <= 0:
            raise InvalidRequestError("poll_interval", self.poll_interval, "a positive number")
        fields = {
            "aspect_ratio": self.aspect_ratio,
            "resolution": self.resolution,
            "duration": self.duration,
            "generate_audio": self.generate_audio,
            "enable_web_search": self.enable_web_search,
            "model": self.model,
            "extra_params": self.extra_params,
        }
        if not all(_is_plain(v) for v in fields.values()):
            return
        prompt = self.prompt if isinstance(self.prompt, str) and _is_plain(self.prompt) else "x"
        ImageToVideoRequest(prompt=prompt, image=_PLACEHOLDER_IMAGE, **fields)

    def build_request(self) -> ImageToVideoRequest:
        """The validated request from rendered fields; raises ``InvalidRequestError``."""
        return ImageToVideoRequest(
            prompt=self.prompt,
            image=resolve_image(self.image),
            last_image=resolve_image(self.last_image),
            aspect_ratio=self.aspect_ratio or None,
            resolution=self.resolution,
            duration=self.duration,
            enable_web_search=self.enable_web_search,
            generate_audio=self.generate_audio,
            model=self.model,
            extra_params=self.extra_params or None,
        )

    @property
    def hook(self) -> SeedanceHook:
        return SeedanceHook(wavespeed_conn_id=self.wavespeed_conn_id)

    # -- execution --
    def execute(self, context: Any) -> dict[str, Any]:
        """Validate, reattach, recover or submit, then defer (or poll here if not deferrable)."""
        request = self.build_request()  # before anything is uploaded or paid
        if self.output_path:
            prepare_destination(self.output_path)
        ledger = ledger_for(context, enabled=self.reattach_on_retry)
        deadline = time.time() + float(self.timeout)
        with self.hook.get_conn() as client:
            prediction = self._reattach(client, ledger) or self._paid_prediction(
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
            SeedanceVideoLink.persist(context, None)
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

    def _reattach(self, client: SeedanceClient, ledger: PredictionLedger) -> Prediction | None:
        """The previous try's prediction if it is worth following, else None (submit anew)."""
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
        log.info(
            "Reattaching to prediction %s (%s) from a previous try instead of resubmitting",
            previous,
            prediction.status.value,
        )
        return prediction

    def _wait_here(self, client: SeedanceClient, prediction: Prediction) -> Prediction:
        """``deferrable=False``: poll on the worker (installations without a triggerer)."""

        def on_update(update: Prediction) -> None:
            log.info("Prediction %s is %s", update.id, update.status.value)

        try:
            return client.wait(
                prediction.id,
                timeout=float(self.timeout),
                poll_interval=float(self.poll_interval),
                on_update=on_update,
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
        paths = write_videos(client, prediction, self.output_path) if self.output_path else []
        SeedanceVideoLink.persist(context, prediction.outputs[0] if prediction.outputs else None)
        if paths:
            self._emit_asset_events(context, prediction, paths)
        ledger.clear()
        for path in paths:
            log.info("Video written: %s", path)
        return result_dict(prediction, paths)

    def _emit_asset_events(self, context: Any, prediction: Prediction, paths: list[str]) -> None:
        """Attach the prediction id and paths to each outlet's event for downstream DAGs."""
        outlet_events = context.get("outlet_events")
        if outlet_events is None:
            return
        for outlet in self.outlets or []:
            try:
                outlet_events[outlet].extra = {"prediction_id": prediction.id, "paths": paths}
            except (KeyError, TypeError, AttributeError):
                log.debug("Outlet %r takes no event extra", outlet, exc_info=True)
