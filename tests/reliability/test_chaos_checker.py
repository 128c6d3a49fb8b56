"""The chaos checker itself must catch what it claims to: a checker that passes anything
would make the chaos runs prove nothing. Each test feeds it one planted violation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .chaos import ChaosReport, Outcome, check


def _stats(by_fp: dict[str, int]) -> dict[str, Any]:
    return {
        "submissions_by_fingerprint": by_fp,
        "submissions": sum(by_fp.values()),
        "faults_injected": {},
        "responses_by_status": {},
        "requests": 0,
    }


def _run(
    outcomes: list[Outcome], tasks: dict[str, dict[str, Any]], by_fp: dict[str, int], tmp_path: Path
) -> list[str]:
    report = ChaosReport(len(outcomes), 1, 0.0)
    check(report, outcomes, tasks, _stats(by_fp), tmp_path)
    return report.violations


def _task(prompt: str, fp: str = "f" * 64, output: Path | None = None) -> dict[str, Any]:
    return {"prompt": prompt, "fingerprint": fp, "status": "completed", "output_file": output}


def test_a_clean_run_has_no_violations(tmp_path: Path) -> None:
    video = tmp_path / "server.mp4"
    video.write_bytes(b"video")
    got = tmp_path / "got.mp4"
    got.write_bytes(b"video")
    outcomes = [Outcome(0, "p0", "done", prediction_id="t0", path=str(got))]
    assert _run(outcomes, {"t0": _task("p0", output=video)}, {"a": 1}, tmp_path) == []


def test_a_double_submission_is_caught(tmp_path: Path) -> None:
    outcomes = [Outcome(0, "p0", "wait", prediction_id="t0", error_type="X", error="t0")]
    tasks = {"t0": _task("p0"), "t1": _task("p0")}
    violations = _run(outcomes, tasks, {"a": 2}, tmp_path)
    assert any("submitted 2 times" in v for v in violations)
    assert any("2 server tasks for one request" in v for v in violations)


def test_a_corrupt_download_is_caught(tmp_path: Path) -> None:
    video = tmp_path / "server.mp4"
    video.write_bytes(b"video")
    got = tmp_path / "got.mp4"
    got.write_bytes(b"vidEo")
    outcomes = [Outcome(0, "p0", "done", prediction_id="t0", path=str(got))]
    violations = _run(outcomes, {"t0": _task("p0", output=video)}, {"a": 1}, tmp_path)
    assert any("differ" in v for v in violations)


def test_an_error_without_the_prediction_id_is_caught(tmp_path: Path) -> None:
    outcomes = [Outcome(0, "p0", "wait", prediction_id="t0", error_type="APIError", error="boom")]
    violations = _run(outcomes, {"t0": _task("p0")}, {"a": 1}, tmp_path)
    assert any("does not name t0" in v for v in violations)


def test_a_lost_task_and_an_untyped_error_are_caught(tmp_path: Path) -> None:
    outcomes = [Outcome(0, "p0", "submit", error_type="UNTYPED:KeyError", error="KeyError()")]
    violations = _run(outcomes, {"t9": _task("p0")}, {"a": 1}, tmp_path)
    assert any("untyped error" in v for v in violations)
    assert any("unaccounted" in v for v in violations)
    assert any("failed before submit" in v for v in violations)


def test_an_uncertain_submit_must_match_the_task_it_created(tmp_path: Path) -> None:
    outcomes = [
        Outcome(0, "p0", "submit", error_type="SubmissionUncertainError", fingerprint="e" * 64)
    ]
    violations = _run(outcomes, {"t0": _task("p0", fp="d" * 64)}, {"d" * 64: 1}, tmp_path)
    assert any("fingerprint does not match" in v for v in violations)


def test_partial_files_left_behind_are_caught(tmp_path: Path) -> None:
    (tmp_path / ".x.mp4.abc.part").write_bytes(b"half")
    assert any("partial files" in v for v in _run([], {}, {}, tmp_path))
