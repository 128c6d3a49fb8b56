"""The sans-I/O protocol: envelopes, error bodies, retry and resubmit decisions, no sockets."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest

from shared_client import (
    APIError,
    AuthenticationError,
    GenerationFailedError,
    InvalidResponseError,
    PredictionStatus,
    RateLimitError,
    ServiceUnreachableError,
    SubmissionUncertainError,
)
from shared_client import protocol as p
from shared_client._httpx_faults import fault_from_httpx
from tests.support.net import envelope

BASE = "https://api.wavespeed.ai"
H = httpx.Headers


def test_submit_request_targets_the_model_path_with_the_body() -> None:
    spec = p.submit_request(BASE, "bytedance/seedance-2.0-mini/image-to-video", {"prompt": "x"})
    assert spec.method == "POST"
    assert spec.url == f"{BASE}/api/v3/bytedance/seedance-2.0-mini/image-to-video"
    assert spec.json == {"prompt": "x"}
    assert spec.authenticated
    with_hook = p.submit_request(BASE, "m/f/t", {}, webhook="https://me/hook")
    assert with_hook.params == {"webhook": "https://me/hook"}


def test_result_request_prefers_urls_get_on_the_same_origin() -> None:
    own = f"{BASE}/api/v3/predictions/abc"
    assert p.result_request(BASE, "abc", own).url == own
    assert p.result_request(BASE, "abc").url == f"{BASE}/api/v3/predictions/abc/result"
    # A urls.get on another host is not followed with the key.
    foreign = p.result_request(BASE, "abc", "https://evil.example/steal")
    assert foreign.url == f"{BASE}/api/v3/predictions/abc/result"
    assert p.result_request(BASE, "a/b").url.endswith("/predictions/a%2Fb/result")


def test_interpret_returns_data_of_a_success_envelope() -> None:
    data = p.interpret_response(200, H(), envelope({"id": "x", "status": "created"}))
    assert data == {"id": "x", "status": "created"}


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_are_typed_and_say_what_to_do(status: int) -> None:
    with pytest.raises(AuthenticationError) as info:
        p.interpret_response(status, H(), envelope(None, status, "Invalid API key"))
    assert info.value.status_code == status
    assert "WAVESPEED_API_KEY" in str(info.value)
    assert not p.is_retryable_read(info.value)


def test_rate_limit_carries_retry_after() -> None:
    with pytest.raises(RateLimitError) as info:
        p.interpret_response(429, H({"Retry-After": "7"}), envelope(None, 429, "slow down"))
    assert info.value.retry_after == 7.0
    assert "retry after 7 s" in str(info.value)
    assert p.is_retryable_read(info.value)
    assert p.is_safe_to_resubmit(info.value)


def test_retry_after_accepts_http_dates_and_ignores_garbage() -> None:
    assert p.parse_retry_after(formatdate(1_000_030, usegmt=True), now=1_000_000) == pytest.approx(
        30
    )
    assert p.parse_retry_after("soon") is None
    assert p.parse_retry_after(None) is None
    assert p.parse_retry_after("-5") == 0.0
    assert p.parse_retry_after("nan") is None


def test_html_error_bodies_give_a_clear_api_error_with_an_excerpt() -> None:
    html = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    with pytest.raises(InvalidResponseError) as info:
        p.interpret_response(502, H({"content-type": "text/html"}), html)
    assert info.value.status_code == 502
    assert "502 Bad Gateway" in str(info.value)
    assert p.is_retryable_read(info.value)


def test_json_server_errors_are_retryable_reads_but_not_resubmits() -> None:
    with pytest.raises(APIError) as info:
        p.interpret_response(500, H(), envelope(None, 5000, "internal error"))
    assert info.value.code == 5000
    assert p.is_retryable_read(info.value)
    assert not p.is_safe_to_resubmit(info.value)


def test_client_errors_are_not_retried() -> None:
    with pytest.raises(APIError) as info:
        p.interpret_response(400, H(), envelope(None, 1401, "invalid parameter: duration"))
    assert info.value.code == 1401
    assert "invalid parameter: duration" in str(info.value)
    assert not p.is_retryable_read(info.value)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>ok</html>",
        b'{"code": 200, "data": ',
        b"[1, 2]",
        b'{"code": 200, "message": "ok"}',
    ],
)
def test_unusable_success_bodies_are_invalid_responses(body: bytes) -> None:
    with pytest.raises(InvalidResponseError):
        p.interpret_response(200, H(), body)


def test_an_envelope_code_other_than_200_is_an_error_even_on_http_200() -> None:
    with pytest.raises(APIError, match="1402"):
        p.interpret_response(200, H(), envelope({"id": "x"}, 1402, "image url unreachable"))


def test_oversized_bodies_are_refused() -> None:
    big = b'{"data": "' + b"x" * (p.MAX_ENVELOPE_BYTES + 1) + b'"}'
    with pytest.raises(InvalidResponseError):
        p.interpret_response(200, H(), big)


def full_data(**overrides: object) -> dict:
    data = {
        "id": "pred-1",
        "model": "bytedance/seedance-2.0-mini/image-to-video",
        "outputs": [],
        "urls": {"get": f"{BASE}/api/v3/predictions/pred-1/result"},
        "has_nsfw_contents": [],
        "status": "processing",
        "created_at": "2026-11-24T12:00:00.000Z",
        "error": "",
        "timings": {"inference": 0},
    }
    data.update(overrides)
    return data


def test_parse_prediction_reads_every_documented_field() -> None:
    pred = p.parse_prediction(
        full_data(
            status="completed",
            outputs=["https://cdn/a.mp4"],
            has_nsfw_contents=[False],
            timings={"inference": 51234},
        )
    )
    assert pred.id == "pred-1"
    assert pred.status is PredictionStatus.COMPLETED
    assert pred.outputs == ["https://cdn/a.mp4"]
    assert pred.inference_ms == 51234
    assert pred.result_url == f"{BASE}/api/v3/predictions/pred-1/result"
    assert pred.has_nsfw_contents == [False]
    assert pred.error is None
    assert pred.is_terminal and pred.is_success


def test_output_objects_are_normalised_to_url_strings() -> None:
    pred = p.parse_prediction(
        full_data(outputs=[{"url": "https://cdn/a.mp4"}, "https://cdn/b.mp4"])
    )
    assert pred.outputs == ["https://cdn/a.mp4", "https://cdn/b.mp4"]


@pytest.mark.parametrize("outputs", [[1], [{"href": "x"}], "https://cdn/a.mp4", [None]])
def test_unusable_outputs_are_invalid_responses(outputs: object) -> None:
    with pytest.raises(InvalidResponseError):
        p.parse_prediction(full_data(outputs=outputs))


def test_a_prediction_without_id_is_invalid() -> None:
    with pytest.raises(InvalidResponseError):
        p.parse_prediction(full_data(id=""))


def test_unknown_statuses_stay_in_flight() -> None:
    pred = p.parse_prediction(full_data(status="warming_up"))
    assert pred.status is PredictionStatus.UNKNOWN
    assert not pred.is_terminal


@pytest.mark.parametrize("status", ["failed", "cancelled", "timeout", "deleted"])
def test_failed_outcomes_raise_with_the_api_text_and_code(status: str) -> None:
    pred = p.parse_prediction(full_data(status=status, error="content flagged", code=1200))
    with pytest.raises(GenerationFailedError) as info:
        p.check_outcome(pred)
    assert info.value.prediction_id == "pred-1"
    assert info.value.error == "content flagged"
    assert info.value.code == 1200
    assert "content flagged" in str(info.value)


def test_completed_without_outputs_is_an_error_naming_the_prediction() -> None:
    pred = p.parse_prediction(full_data(status="completed", outputs=[]))
    with pytest.raises(InvalidResponseError, match="pred-1"):
        p.check_outcome(pred)


def spec() -> p.RequestSpec:
    return p.submit_request(BASE, "bytedance/seedance-2.0-mini/image-to-video", {"prompt": "x"})


@pytest.mark.parametrize(
    ("exc", "sent"),
    [
        (httpx.ConnectError("refused"), False),
        (httpx.ConnectTimeout("slow connect"), False),
        (httpx.PoolTimeout("pool"), False),
        (httpx.WriteTimeout("write"), True),
        (httpx.ReadTimeout("read"), True),
        (httpx.RemoteProtocolError("reset"), True),
        (httpx.WriteError("broken pipe"), True),
        (httpx.ReadError("reset by peer"), True),
    ],
)
def test_transport_failures_know_whether_the_request_left(
    exc: httpx.TransportError, sent: bool
) -> None:
    err = p.transport_failure(fault_from_httpx(exc), spec())
    assert isinstance(err, ServiceUnreachableError)
    assert err.request_sent is sent
    assert p.is_retryable_read(err)
    assert p.is_safe_to_resubmit(err) is (not sent)


def test_an_ambiguous_submit_failure_becomes_submission_uncertain() -> None:
    cause = p.transport_failure(fault_from_httpx(httpx.ReadTimeout("read")), spec())
    err = p.submit_failure(cause, spec(), started_at=1_700_000_000.0)
    assert isinstance(err, SubmissionUncertainError)
    assert err.model == "bytedance/seedance-2.0-mini/image-to-video"
    assert err.fingerprint == p.body_fingerprint(err.model, {"prompt": "x"})
    assert "NOT resent" in str(err)
    assert "2023-11-14T22:13:20Z" in str(err)


def test_a_5xx_after_submit_is_uncertain_but_a_4xx_is_a_definite_rejection() -> None:
    server = APIError("boom", status_code=502)
    assert isinstance(p.submit_failure(server, spec(), started_at=0), SubmissionUncertainError)
    rejected = APIError("bad", status_code=400, code=1401)
    assert p.submit_failure(rejected, spec(), started_at=0) is rejected
    auth = AuthenticationError("no", status_code=401)
    assert p.submit_failure(auth, spec(), started_at=0) is auth


def test_fingerprints_are_stable_and_content_sensitive() -> None:
    a = p.body_fingerprint("m", {"b": 1, "a": 2})
    assert a == p.body_fingerprint("m", {"a": 2, "b": 1})
    assert a != p.body_fingerprint("m", {"a": 2, "b": 2})
    assert a != p.body_fingerprint("n", {"a": 2, "b": 1})


@pytest.mark.parametrize("url", ["ftp://x", "api.wavespeed.ai", "http://", ""])
def test_base_url_must_be_http_with_a_host(url: str) -> None:
    from shared_client import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="base_url") as info:
        p.normalise_base_url(url)
    assert info.value.field == "base_url"


@pytest.mark.parametrize(
    ("exc", "fragment"),
    [
        (httpx.TooManyRedirects("loop"), "redirect loop"),
        (httpx.UnsupportedProtocol("file"), "not http(s)"),
    ],
)
def test_bad_redirects_are_refused_not_retried(exc: httpx.RequestError, fragment: str) -> None:
    err = p.transport_failure(fault_from_httpx(exc), spec())
    assert type(err) is APIError
    assert fragment in str(err)
    assert not p.is_retryable_read(err)
    assert not p.is_safe_to_resubmit(err)
    assert isinstance(p.submit_failure(err, spec(), started_at=0), SubmissionUncertainError)


def test_same_origin_compares_scheme_host_and_port() -> None:
    assert p.same_origin("https://api.wavespeed.ai/x", BASE)
    assert not p.same_origin("http://api.wavespeed.ai/x", BASE)
    assert not p.same_origin("https://api.wavespeed.ai:8443/x", BASE)
    assert not p.same_origin("https://cdn.wavespeed.ai/x", BASE)


def test_same_origin_prefix_shortcut_cannot_be_fooled() -> None:
    """The prefix fast path must agree with a full parse on look-alike hosts."""
    assert p.same_origin(f"{BASE}/api/v3/predictions/x/result", BASE)
    assert p.same_origin(f"{BASE}/api/v3/x", BASE + "/")
    assert not p.same_origin("https://api.wavespeed.ai.evil.example/x", BASE)
    assert not p.same_origin("https://api.wavespeed.ai@evil.example/x", BASE)
    assert not p.same_origin("https://api.wavespeed.ai:8443/x", BASE)
    assert not p.same_origin("https://evil.example/?u=https://api.wavespeed.ai/", BASE)
    assert p.same_origin("https://API.wavespeed.ai/x", BASE)  # parsed: hosts are case-blind


def test_history_matching_is_exact_by_body_fingerprint() -> None:
    model = "bytedance/seedance-2.0-mini/image-to-video"
    body = {"prompt": "x", "image": "https://cdn/x.png", "duration": 5}
    fingerprint = p.body_fingerprint(model, body)
    ours = {"id": "ours", "status": "processing", "input": dict(body)}
    twin = {"id": "twin", "status": "processing", "input": {**body, "duration": 6}}
    blind = {"id": "blind", "status": "processing"}
    assert p.match_submission([twin, blind, ours], model, fingerprint) is ours
    assert p.match_submission([twin, blind], model, fingerprint) is None
    assert p.match_submission("garbage", model, fingerprint) is None


def test_history_request_asks_for_one_model_after_a_time() -> None:
    spec = p.history_request(BASE, "m/f/t", 1_700_000_000.0, 2)
    assert spec.method == "POST" and spec.url == f"{BASE}/api/v3/predictions"
    assert spec.json == {
        "page": 2,
        "page_size": 100,
        "model": "m/f/t",
        "created_after": "2023-11-14T22:13:20Z",
    }
