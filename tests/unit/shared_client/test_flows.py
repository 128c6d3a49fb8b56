"""The flows, driven by a scripted executor: what is sent, in what order, and when it stops.

The executor, :class:`tests.support.flows.Script`, answers each effect from a list.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared_client import (
    APIError,
    GenerationFailedError,
    GenerationTimeoutError,
    ImageToVideoRequest,
    PredictionStatus,
    flows,
)
from tests.support.flows import Script
from tests.support.media import make_png

BASE = "http://api.test"


def pred(status: str, **extra: Any) -> dict[str, Any]:
    return {"id": "p1", "status": status, "outputs": [], **extra}


def test_submit_with_a_url_sends_exactly_one_post() -> None:
    script = Script([pred("created")])
    request = ImageToVideoRequest(prompt="cat", image="https://cdn/x.png")
    prediction = script.run(flows.submit_flow(BASE, request))
    assert prediction.id == "p1"
    [call] = script.effects
    assert isinstance(call, flows.Call) and call.retry == "submit"
    assert call.request.json is not None and call.request.json["image"] == "https://cdn/x.png"


def test_submit_uploads_local_images_first_then_posts_their_urls(
    png_bytes: bytes, png_path: Any
) -> None:
    ticket = {
        "download_url": "https://media/1.png",
        "upload": {"url": "https://s3/put?sig=1", "headers": {"Content-Type": "image/png"}},
    }
    ticket2 = {
        "download_url": "https://media/2.png",
        "upload": {"url": "https://s3/put?sig=2", "headers": {}},
    }
    script = Script([ticket, ticket2, pred("created")])
    other = make_png(rgb=(10, 200, 10))  # a different file: identical ones upload once
    request = ImageToVideoRequest(prompt="cat", image=png_path, last_image=other)
    script.run(flows.submit_flow(BASE, request))
    kinds = [type(e).__name__ for e in script.effects]
    assert kinds == ["Call", "PutUpload", "Call", "PutUpload", "Call"]
    put = script.effects[1]
    assert isinstance(put, flows.PutUpload) and put.headers == {"Content-Type": "image/png"}
    assert put.blob.size == len(png_bytes)
    submit = script.effects[-1]
    assert isinstance(submit, flows.Call) and submit.request.json is not None
    assert submit.request.json["image"] == "https://media/1.png"
    assert submit.request.json["last_image"] == "https://media/2.png"


def test_the_same_file_in_two_fields_is_uploaded_once(png_bytes: bytes, png_path: Any) -> None:
    ticket = {
        "download_url": "https://media/1.png",
        "upload": {"url": "https://s3/p", "headers": {}},
    }
    script = Script([ticket, pred("created")])
    request = ImageToVideoRequest(prompt="cat", image=png_path, last_image=png_bytes)
    script.run(flows.submit_flow(BASE, request))
    assert [type(e).__name__ for e in script.effects] == ["Call", "PutUpload", "Call"]
    body = script.effects[-1].request.json
    assert body["image"] == body["last_image"] == "https://media/1.png"


def test_upload_falls_back_to_multipart_when_the_ticket_endpoint_is_missing(
    png_bytes: bytes,
) -> None:
    script = Script([APIError("nope", status_code=404), {"download_url": "https://media/b.png"}])
    url = script.run(flows.upload_flow(BASE, png_bytes))
    assert url == "https://media/b.png"
    assert isinstance(script.effects[1], flows.PostMultipart)
    assert script.effects[1].request.url == f"{BASE}/api/v3/media/upload/binary"


def test_upload_does_not_hide_other_errors(png_bytes: bytes) -> None:
    script = Script([APIError("boom", status_code=500)])
    with pytest.raises(APIError, match="boom"):
        script.run(flows.upload_flow(BASE, png_bytes))


def test_wait_polls_until_terminal_and_reports_each_status_change_once() -> None:
    done = pred(
        "completed", outputs=["https://cdn/v.mp4"], urls={"get": f"{BASE}/api/v3/predictions/p1"}
    )
    script = Script([pred("created"), pred("processing"), pred("processing"), done])
    seen: list[PredictionStatus] = []
    result = script.run(
        flows.wait_flow(
            BASE,
            "p1",
            clock=script.clock,
            timeout=60,
            poll_interval=5,
            on_update=lambda p: seen.append(p.status),
        )
    )
    assert result.outputs == ["https://cdn/v.mp4"]
    assert seen == [
        PredictionStatus.CREATED,
        PredictionStatus.PROCESSING,
        PredictionStatus.COMPLETED,
    ]
    sleeps = [e.seconds for e in script.effects if isinstance(e, flows.Sleep)]
    assert sleeps == [5, 5, 5]


def test_wait_follows_urls_get_once_the_api_gives_it() -> None:
    own = f"{BASE}/api/v3/predictions/p1"
    script = Script([pred("processing", urls={"get": own}), pred("completed", outputs=["u"])])
    script.run(flows.wait_flow(BASE, "p1", clock=script.clock, timeout=60, poll_interval=1))
    urls = [e.request.url for e in script.effects if isinstance(e, flows.Call)]
    assert urls == [f"{BASE}/api/v3/predictions/p1/result", own]


def test_wait_raises_on_failure_with_the_prediction_attached() -> None:
    script = Script([pred("failed", error="moderation", code=1200)])
    with pytest.raises(GenerationFailedError) as info:
        script.run(flows.wait_flow(BASE, "p1", clock=script.clock, timeout=60, poll_interval=1))
    assert info.value.prediction.status is PredictionStatus.FAILED
    assert info.value.code == 1200


def test_wait_can_return_failed_predictions_instead() -> None:
    script = Script([pred("cancelled")])
    result = script.run(
        flows.wait_flow(
            BASE, "p1", clock=script.clock, timeout=60, poll_interval=1, raise_on_failure=False
        )
    )
    assert result.status is PredictionStatus.CANCELLED


def test_wait_times_out_on_the_wall_clock_with_the_last_status() -> None:
    script = Script([pred("processing")] * 10)
    with pytest.raises(GenerationTimeoutError) as info:
        script.run(flows.wait_flow(BASE, "p1", clock=script.clock, timeout=12, poll_interval=5))
    assert info.value.prediction_id == "p1"
    assert info.value.last_status == "processing"
    assert script.now == pytest.approx(12)


def test_unknown_statuses_keep_polling() -> None:
    script = Script([pred("mystery"), pred("mystery"), pred("completed", outputs=["u"])])
    result = script.run(
        flows.wait_flow(BASE, "p1", clock=script.clock, timeout=60, poll_interval=1)
    )
    assert result.is_success


def test_errors_while_reading_a_prediction_name_it() -> None:
    script = Script([APIError("upstream broke", status_code=502)])
    with pytest.raises(APIError) as info:
        script.run(flows.wait_flow(BASE, "p1", clock=script.clock, timeout=60, poll_interval=1))
    assert info.value.prediction_id == "p1"
    assert str(info.value) == "prediction p1: upstream broke"


def uncertain() -> Any:
    from shared_client import SubmissionUncertainError
    from shared_client.protocol import body_fingerprint

    model = "bytedance/seedance-2.0-mini/image-to-video"
    body = {"prompt": "x"}
    return SubmissionUncertainError(
        "lost", model=model, fingerprint=body_fingerprint(model, body), submitted_at=1e9
    ), body


def test_find_submission_pages_until_the_exact_match() -> None:
    error, body = uncertain()
    page1 = {"items": [{"id": f"other{i}", "input": {"prompt": str(i)}} for i in range(100)]}
    page2 = {"items": [{"id": "mine", "status": "processing", "input": body}]}
    script = Script([page1, page2])
    found = script.run(flows.find_submission_flow(BASE, error))
    assert found is not None and found.id == "mine"
    pages = [e.request.json["page"] for e in script.effects if isinstance(e, flows.Call)]
    assert pages == [1, 2]


def test_find_submission_returns_none_rather_than_guessing() -> None:
    error, _ = uncertain()
    script = Script([{"items": [{"id": "same-model-same-time", "status": "processing"}]}])
    assert script.run(flows.find_submission_flow(BASE, error)) is None


def test_submit_adopts_the_task_an_uncertain_post_created_and_never_resends() -> None:
    from shared_client.protocol import body_fingerprint, submit_request

    request = ImageToVideoRequest(prompt="x", image="https://cdn/x.png")
    body = request.to_body({"image": "https://cdn/x.png"})
    spec = submit_request(BASE, request.model, body)
    from shared_client.protocol import submit_failure

    lost = submit_failure(APIError("bad gateway", status_code=502), spec, started_at=1e9)
    history = {"items": [{"id": "created", "status": "processing", "input": body}]}
    script = Script([lost, history])
    prediction = script.run(flows.submit_flow(BASE, request))
    assert prediction.id == "created"
    posts = [e for e in script.effects if isinstance(e, flows.Call) and e.retry == "submit"]
    assert len(posts) == 1
    assert body_fingerprint(request.model, body) == lost.fingerprint


def test_submit_raises_the_uncertainty_when_the_history_cannot_prove_it() -> None:
    from shared_client import SubmissionUncertainError
    from shared_client.protocol import submit_failure, submit_request

    request = ImageToVideoRequest(prompt="x", image="https://cdn/x.png")
    spec = submit_request(BASE, request.model, request.to_body({"image": "https://cdn/x.png"}))
    lost = submit_failure(APIError("bad gateway", status_code=502), spec, started_at=1e9)
    script = Script([lost, APIError("history unavailable", status_code=503)])
    with pytest.raises(SubmissionUncertainError):
        script.run(flows.submit_flow(BASE, request))


def test_polls_keep_a_fixed_cadence_when_reads_are_slow() -> None:
    script = Script([pred("processing")] * 3 + [pred("completed", outputs=["u"])], read_seconds=1.5)
    script.run(flows.wait_flow(BASE, "p1", clock=script.clock, timeout=60, poll_interval=5))
    sleeps = [e.seconds for e in script.effects if isinstance(e, flows.Sleep)]
    assert sleeps == [3.5, 3.5, 3.5]  # 1.5 s read + 3.5 s sleep = one poll every 5 s


def test_the_first_poll_can_wait_one_interval() -> None:
    script = Script([pred("completed", outputs=["u"])])
    script.run(
        flows.wait_flow(
            BASE, "p1", clock=script.clock, timeout=60, poll_interval=5, first_poll_after=5
        )
    )
    assert isinstance(script.effects[0], flows.Sleep) and script.effects[0].seconds == 5
    assert isinstance(script.effects[1], flows.Call)
