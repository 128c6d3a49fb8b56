"""Find the task of a submit whose answer never reached its owner, as flows of effects.

Two situations lead here. A crash (worker killed, ComfyUI restarted) after a
:class:`~.submit_intent.SubmitIntent` was written but before the prediction id was
stored; and an uncertain submit (the answer was lost after the request was sent). In
both the task may exist and be billed. :func:`recover_flow` searches the history once;
:func:`settle_flow` keeps searching until the settle window has passed, because the
history can lag behind the submit: only a search that *starts* after the window is
trusted to mean "no such task". Both are written once and driven by either client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any

from .effects import Call, Effect, Sleep
from .endpoints import history_search_request
from .errors import SeedanceError
from .protocol import (
    HISTORY_PAGE_SIZE,
    body_fingerprint,
    history_request,
    parse_prediction,
)
from .submit_intent import CLOCK_SKEW, DEFAULT_SETTLE_WINDOW, SubmitIntent, assign_candidate
from .values import Prediction

__all__ = ["history_flow", "matching_history_flow", "recover_flow", "settle_flow"]

logger = logging.getLogger(__name__)

#: History pages read per search (100 items each): a busy account's last few minutes.
MAX_HISTORY_PAGES = 5
#: Seconds between two searches while a settle window runs.
DEFAULT_SETTLE_INTERVAL = 10.0


def matching_history_flow(
    base_url: str, model: str, fingerprint: str, since: float, *, max_pages: int = MAX_HISTORY_PAGES
) -> Generator[Effect, Any, list[Mapping[str, Any]]]:
    """Every history item of ``model`` created after ``since`` whose input is the body."""
    matches: list[Mapping[str, Any]] = []
    for page in range(1, max_pages + 1):
        data = yield Call(history_request(base_url, model, since, page), "read")
        items = data.get("items")
        if not isinstance(items, list):
            break
        for item in items:
            body = item.get("input") if isinstance(item, dict) else None
            if isinstance(body, dict) and body_fingerprint(model, body) == fingerprint:
                matches.append(item)
        if len(items) < HISTORY_PAGE_SIZE:
            break
    return matches


def history_flow(
    base_url: str,
    *,
    created_after: str | None = None,
    created_before: str | None = None,
    status: str | None = None,
    model: str | None = None,
    limit: int = HISTORY_PAGE_SIZE,
) -> Generator[Effect, Any, list[Prediction]]:
    """The history's predictions (newest first, at most ``limit``) matching the filters.

    The same endpoint recovery searches, read for people: it pages until ``limit`` items
    or a short page, so a listing never loops over an unbounded history.
    """
    found: list[Prediction] = []
    page = 1
    while len(found) < limit:
        spec = history_search_request(
            base_url,
            page,
            created_after=created_after,
            created_before=created_before,
            status=status,
            model=model,
        )
        data = yield Call(spec, "read")
        items = data.get("items")
        if not isinstance(items, list):
            break
        found.extend(parse_prediction(item) for item in items if isinstance(item, Mapping))
        if len(items) < HISTORY_PAGE_SIZE:
            break
        page += 1
    return found[:limit]


def recover_flow(
    base_url: str, intent: SubmitIntent, *, others: Sequence[SubmitIntent] = ()
) -> Generator[Effect, Any, Prediction | None]:
    """One search: the task ``intent``'s owner created, or None if the history shows none."""
    since = intent.not_before - CLOCK_SKEW
    matches = yield from matching_history_flow(base_url, intent.model, intent.fingerprint, since)
    item = assign_candidate(intent, matches, others=others)
    logger.info(
        "history search for %s: %d task(s) with this body since the intent, %d other "
        "owner(s) in view; %s",
        intent.owner,
        len(matches),
        len([o for o in others if o.owner != intent.owner]),
        f"ours is {item.get('id')}" if item is not None else "none is ours",
    )
    if item is None:
        return None
    prediction = parse_prediction(item)
    logger.warning(
        "found prediction %s, created by an earlier submit of %s; adopting it instead of paying "
        "again",
        prediction.id,
        intent.owner,
    )
    return prediction


def settle_flow(
    base_url: str,
    intent: SubmitIntent,
    *,
    clock: Callable[[], float],
    settle_window: float = DEFAULT_SETTLE_WINDOW,
    interval: float = DEFAULT_SETTLE_INTERVAL,
    others: Callable[[], Sequence[SubmitIntent]] | None = None,
    on_search: Callable[[float], Any] | None = None,
) -> Generator[Effect, Any, Prediction | None]:
    """Search until the task shows up or the settle window has provably passed.

    ``clock`` is wall-clock time (``time.time``): the window is counted from the intent's
    ``not_before``, so a restarted process does not start it again. ``others`` is asked
    before each search (siblings may have stored their ids meanwhile). ``on_search`` gets
    the seconds left in the window, for progress text. A search error is retried on the
    next round; one that fails after the window has passed is raised, as nothing is
    proven then.
    """
    settled_by = intent.settled_by(settle_window)
    while True:
        started = clock()
        if on_search is not None:
            on_search(max(0.0, settled_by - started))
        try:
            found = yield from recover_flow(
                base_url, intent, others=others() if others is not None else ()
            )
        except SeedanceError as exc:
            if started >= settled_by:
                raise
            logger.warning("history search for %s failed (%s); trying again", intent.owner, exc)
            found = None
        if found is not None:
            return found
        if started >= settled_by:
            return None
        now = clock()
        yield Sleep(max(0.0, min(interval, settled_by - now)))
