"""``seedance`` end to end against the simulator: results, money gates and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedance_simulator import Simulator
from tests.support.media import count_frames, make_png

FAST = ("--poll-interval", "0.2")


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "cat.png"
    path.write_bytes(make_png(64, 64))
    return path


def test_generate_i2v_downloads_and_prints_json(run, sim: Simulator, image: Path, tmp_path: Path):
    out = tmp_path / "out"
    r = run(
        "generate",
        "i2v",
        str(image),
        "--prompt",
        "a cat",
        "--duration",
        "4",
        "--resolution",
        "480p",
        "--out",
        str(out),
        "--json",
        "--max-cost",
        "5",
        *FAST,
    )
    assert r.code == 0, r.err
    lines = r.out.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["ok"] and data["prediction"]["status"] == "completed"
    assert data["prediction"]["cost_usd"] is not None
    [file] = data["files"]
    assert Path(file).parent == out and count_frames(file) > 0
    assert sim.stats()["submissions"] == 1
    # not a TTY: plain status lines, no redraws
    assert "\r" not in r.err and "completed" in r.err


def test_dry_run_uploads_and_pays_nothing(run, sim: Simulator, image: Path):
    r = run("generate", "i2v", str(image), "--prompt", "a cat", "--dry-run")
    assert r.code == 0, r.err
    assert "would cost $" in r.out and "nothing uploaded or paid" in r.out
    stats = sim.stats()
    assert stats["submissions"] == 0 and stats["uploads"] == 0


def test_max_cost_refuses_with_exit_4(run, sim: Simulator, image: Path):
    r = run("generate", "i2v", str(image), "--prompt", "a cat", "--max-cost", "0.01")
    assert r.code == 4
    assert r.err.startswith("seedance: ") and len(r.err.strip().splitlines()) == 1
    assert "Traceback" not in r.err
    assert sim.stats()["submissions"] == 0 and sim.stats()["uploads"] == 0


def test_invalid_input_names_the_field(run, sim: Simulator, image: Path):
    r = run("generate", "i2v", str(image), "--prompt", "a cat", "--duration", "99")
    assert r.code == 2
    assert "duration" in r.err and r.err.startswith("seedance: ")
    missing = run("generate", "i2v", "nope.png", "--prompt", "a cat")
    assert missing.code == 2 and "image" in missing.err
    assert sim.stats()["submissions"] == 0


def test_failed_generation_exits_5_and_timeout_exits_6(run, sim: Simulator, image: Path):
    sim.set_faults(seed=3, failed_generation=1.0)
    failed = run("generate", "i2v", str(image), "--prompt", "a cat", *FAST)
    assert failed.code == 5, failed.err
    last = failed.err.strip().splitlines()[-1]
    assert last.startswith("seedance: ") and "failed" in last and "Traceback" not in failed.err
    assert failed.err.count(": created") == 1  # one line per status change
    sim.set_faults(seed=3)
    sim.set_generation_time(30.0)
    late = run("generate", "i2v", str(image), "--prompt", "a cat", "--timeout", "1", *FAST)
    assert late.code == 6, late.err
    assert "wait on this id again" in late.err.strip().splitlines()[-1]


def test_uncertain_submit_exits_7_and_pays_nothing_more(run, sim: Simulator, image: Path):
    """The task is created but the submit answers 502 and the history never shows it.

    The command must not resend (that could pay twice): it stops with exit 7 and one line
    that tells where to look, and the simulator holds exactly one task.
    """
    sim.set_faults(seed=3, ambiguous_submit=1.0)
    sim.set_timing(history_lag=600.0)
    try:
        r = run("generate", "i2v", str(image), "--prompt", "a cat", *FAST)
    finally:
        sim.set_timing(history_lag=0.0)
    assert r.code == 7, r.err
    last = r.err.strip().splitlines()[-1]
    assert last.startswith("seedance: ") and "NOT resent" in last and "Traceback" not in r.err
    assert sim.stats()["submissions"] == 1


def test_bad_key_exits_3(run, image: Path):
    r = run("balance", key="sk-wrong")
    assert r.code == 3 and r.err.startswith("seedance: ") and "Traceback" not in r.err
    none = run("balance", key=None)
    assert none.code == 3 and "WAVESPEED_API_KEY" in none.err


def test_api_key_file(run, sim: Simulator, tmp_path: Path):
    keyfile = tmp_path / "key"
    keyfile.write_text(sim.api_key + "\n")
    r = run("balance", "--api-key-file", str(keyfile), "--json", key=None)
    assert r.code == 0, r.err
    assert json.loads(r.out)["balance_usd"] == pytest.approx(sim.balance())


def test_quote_balance_models(run, sim: Simulator):
    q = run("quote", "t2v", "--prompt", "a city", "--duration", "5", "--json")
    assert q.code == 0, q.err
    quote = json.loads(q.out)["quote"]
    assert quote["usd"] > 0 and quote["source"] in ("api", "table")
    text = run("quote", "t2v", "--prompt", "a city", "--tier", "fast")
    assert text.code == 0 and ("pricing API" in text.out or "offline" in text.out)
    b = run("balance")
    assert b.code == 0 and b.out.startswith("$")
    m = run("models", "--json")
    rows = json.loads(m.out)["models"]
    assert any(r["model"].endswith("/image-to-video") for r in rows)
    assert all(r["usd_per_5s_720p"] > 0 for r in rows)
    assert "USD/5s@720p" in run("models").out
    assert sim.stats()["submissions"] == 0


def test_status_wait_download_history(run, sim: Simulator, image: Path, tmp_path: Path):
    r = run("generate", "i2v", str(image), "--prompt", "a cat", "--json", *FAST)
    assert r.code == 0, r.err
    pid = json.loads(r.out)["prediction"]["id"]
    status = run("status", pid, "--json")
    assert status.code == 0 and json.loads(status.out)["prediction"]["status"] == "completed"
    waited = run("wait", pid, "--out", str(tmp_path / "w"), *FAST)
    assert waited.code == 0 and "saved" in waited.out
    dl = run("download", pid, "--out", str(tmp_path / "d"), "--json")
    assert dl.code == 0, dl.err
    assert count_frames(json.loads(dl.out)["files"][0]) > 0
    history = run("history", "--status", "completed", "--json")
    assert history.code == 0, history.err
    assert pid in [p["id"] for p in json.loads(history.out)["predictions"]]
    unknown = run("status", "no-such-id")
    assert unknown.code != 0 and unknown.err.startswith("seedance: ")


def test_usage(run):
    r = run("usage", "--since", "2020-01-01", "--json")
    assert r.code == 0, r.err
    assert "total_requests" in json.loads(r.out)


BOARD = """
title: Two shots
tier: fast
resolution: 480p
shots:
  - prompt: "a red door"
    duration: 4
  - prompt: "it opens"
    duration: 4
    join: continue
"""


def test_story_board(run, sim: Simulator, tmp_path: Path):
    pytest.importorskip("yaml")
    board = tmp_path / "board.yaml"
    board.write_text(BOARD)
    r = run(
        "generate",
        "story",
        str(board),
        "--out",
        str(tmp_path / "film"),
        "--json",
        *FAST,
        timeout=120,
    )
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert len(data["shots"]) == 2 and count_frames(data["film"]) > 0
    assert "shot 1/2" in r.err and "shot 2/2" in r.err
    assert sim.stats()["submissions"] == 2


def test_story_dry_run_and_cap_pay_nothing(run, sim: Simulator, tmp_path: Path):
    pytest.importorskip("yaml")
    board = tmp_path / "board.yaml"
    board.write_text(BOARD)
    dry = run("generate", "story", str(board), "--dry-run", "--json")
    assert dry.code == 0, dry.err
    assert json.loads(dry.out)["quote"]["usd"] > 0
    refused = run("generate", "story", str(board), "--max-cost", "0.01")
    assert refused.code == 4, refused.err
    assert sim.stats()["submissions"] == 0 and sim.stats()["uploads"] == 0


def test_dry_run_without_a_key_uses_the_offline_table(run, image: Path):
    r = run("generate", "i2v", str(image), "--prompt", "a cat", "--dry-run", key=None)
    assert r.code == 0, r.err
    assert "offline price table" in r.out


def test_t2v_with_references_then_extend_its_output(run, sim: Simulator, image: Path, tmp_path):
    first = run(
        "generate",
        "t2v",
        "--prompt",
        "@Image1 walks",
        "--reference-image",
        str(image),
        "--no-audio",
        "--tier",
        "fast",
        "--duration",
        "4",
        "--resolution",
        "480p",
        "--out",
        str(tmp_path / "a"),
        "--json",
        *FAST,
    )
    assert first.code == 0, first.err
    data = json.loads(first.out)
    assert data["prediction"]["model"].startswith("bytedance/seedance-2.0-fast/")
    video = data["files"][0]
    ext = run(
        "generate",
        "extend",
        video,
        "--prompt",
        "keeps walking",
        "--duration",
        "4",
        "--resolution",
        "480p",
        "--out",
        str(tmp_path / "b"),
        "--json",
        *FAST,
    )
    assert ext.code == 0, ext.err
    assert count_frames(json.loads(ext.out)["files"][0]) > 0
    assert sim.stats()["submissions"] == 2
