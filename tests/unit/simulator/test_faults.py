"""Fault decisions are seeded, banded by rate and scoped by endpoint."""

from __future__ import annotations

from collections import Counter

from seedance_simulator.faults import FaultConfig, FaultInjector


def _kinds(injector: FaultInjector, n: int, scope: str = "result") -> list[str | None]:
    out = []
    for _ in range(n):
        fault = injector.transport_fault(scope)
        out.append(fault.kind if fault else None)
    return out


def test_same_seed_same_sequence():
    cfg = FaultConfig(rate_429=0.1, rate_502=0.1, rate_reset=0.05)
    assert _kinds(FaultInjector(cfg, seed=1), 500) == _kinds(FaultInjector(cfg, seed=1), 500)
    assert _kinds(FaultInjector(cfg, seed=1), 500) != _kinds(FaultInjector(cfg, seed=2), 500)


def test_rates_are_honoured_statistically():
    cfg = FaultConfig(rate_429=0.2, rate_500=0.1, rate_slow=0.1)
    counts = Counter(_kinds(FaultInjector(cfg, seed=42), 20_000))
    assert abs(counts["429"] / 20_000 - 0.2) < 0.02
    assert abs(counts["500"] / 20_000 - 0.1) < 0.015
    assert abs(counts["slow"] / 20_000 - 0.1) < 0.015
    assert abs(counts[None] / 20_000 - 0.6) < 0.02


def test_out_of_scope_requests_never_fault():
    injector = FaultInjector(FaultConfig(rate_503=1.0, scopes=("submit",)), seed=0)
    assert _kinds(injector, 50, scope="result") == [None] * 50
    assert set(_kinds(injector, 50, scope="submit")) == {"503"}


def test_html_fraction_and_retry_after_shape_the_fault():
    injector = FaultInjector(FaultConfig(rate_502=1.0, html_fraction=1.0), seed=0)
    fault = injector.transport_fault("submit")
    assert fault is not None and fault.html
    injector = FaultInjector(FaultConfig(rate_429=1.0, retry_after=3.5), seed=0)
    fault = injector.transport_fault("result")
    assert fault is not None and fault.retry_after == 3.5 and not fault.html


def test_generation_failures_use_configured_codes():
    injector = FaultInjector(FaultConfig(failed_generation=1.0, failure_codes=(5003,)), seed=0)
    assert {injector.generation_failure() for _ in range(20)} == {5003}
    assert FaultInjector(FaultConfig(), seed=0).generation_failure() is None


def test_from_dict_merges_partial_settings():
    base = FaultConfig(rate_429=0.5)
    merged = FaultConfig.from_dict({"rate_500": 0.1, "scopes": ["result"]}, base=base)
    assert (merged.rate_429, merged.rate_500, merged.scopes) == (0.5, 0.1, ("result",))
