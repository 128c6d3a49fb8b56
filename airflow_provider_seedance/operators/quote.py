"""Price a whole mapped batch before any of it runs, and give each task its share of a cap.

A cap for a whole DAG run cannot be a running total that tasks add to as they pay: on
Airflow 3 a worker reaches the metadata DB only through the Execution API (no
transaction, no compare-and-set on a Variable), so two mapped tasks racing on several
workers would both read "room left" and both pay. Instead **one task decides**:
:class:`SeedanceQuoteOperator` quotes every item of the batch, checks the total against
``max_total_usd`` and returns the batch with each item's own quote as its
``max_cost_usd``. The generation task of each map index then may spend only its own
allocation (it re-quotes before paying and refuses a dearer run), so no shared total
exists to be raced, and the allocations add up to at most the cap by construction.
``docs/airflow.md`` ("A cap for a whole run") says what this does and does not guarantee.

Usage (the same item dicts ``expand_kwargs`` takes)::

    quote = SeedanceQuoteOperator(task_id="quote", mode="text-to-video", batch=ITEMS,
                                  defaults=COMMON, max_total_usd=10.0)
    SeedanceTextToVideoOperator.partial(task_id="generate", **COMMON).expand_kwargs(
        quote.output)

:func:`quote_batch` does the same inside a ``@task`` of your own.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException, BaseOperator

from airflow_provider_seedance.hooks.seedance import DEFAULT_CONN_ID, SeedanceHook
from airflow_provider_seedance.operators.base import SeedanceGenerationOperator
from airflow_provider_seedance.operators.budget import parse_cap, quote_record
from airflow_provider_seedance.operators.modes import OPERATORS_BY_MODE
from shared_client import InsufficientBalanceError, InvalidRequestError, Quote, SeedanceError

log = logging.getLogger(__name__)

#: XCom keys: per-item quotes (index, quote, allocation) and the batch summary.
QUOTES_XCOM_KEY = "seedance_quotes"
TOTAL_XCOM_KEY = "seedance_quote_total"
_CAP_KEY = "max_cost_usd"


def _usd(value: float) -> Decimal:
    """Exact decimal of a price as it was written (``0.2232``), so sums are exact."""
    return Decimal(repr(float(value)))


@dataclass(frozen=True)
class BatchQuote:
    """The quotes of a batch, its total and what each item may spend."""

    items: tuple[dict[str, Any], ...]
    quotes: tuple[Quote, ...]
    max_total_usd: float | None = None

    @property
    def total_usd(self) -> float:
        return float(sum((_usd(q.usd) for q in self.quotes), Decimal(0)))

    @property
    def over_cap(self) -> bool:
        """The total exceeds the run cap (compared exactly, in decimal)."""
        if self.max_total_usd is None:
            return False
        return sum((_usd(q.usd) for q in self.quotes), Decimal(0)) > _usd(self.max_total_usd)

    def over_item_caps(self) -> list[int]:
        """Indexes of items whose own ``max_cost_usd`` is below their quote."""
        over = []
        for index, (item, quote) in enumerate(zip(self.items, self.quotes, strict=True)):
            cap = parse_cap(item.get(_CAP_KEY), f"batch[{index}].{_CAP_KEY}")
            if cap is not None and quote.usd > cap:
                over.append(index)
        return over

    def allocations(self) -> list[dict[str, Any]]:
        """The batch as ``expand_kwargs`` takes it, each item capped at its own quote."""
        pairs = zip(self.items, self.quotes, strict=True)
        return [{**item, _CAP_KEY: quote.usd} for item, quote in pairs]

    def per_item(self) -> list[dict[str, Any]]:
        return [{"index": i, **quote_record(q, q.usd)} for i, q in enumerate(self.quotes)]

    def summary(self) -> dict[str, Any]:
        sources = sorted({q.source for q in self.quotes})
        return {
            "items": len(self.quotes),
            "total_usd": self.total_usd,
            "currency": self.quotes[0].currency if self.quotes else "USD",
            "sources": sources,
            "max_total_usd": self.max_total_usd,
            "over_cap": self.over_cap,
        }

    def describe(self) -> str:
        sources = " and ".join(
            "pricing API" if s == "api" else "offline price table"
            for s in sorted({q.source for q in self.quotes})
        )
        return f"${self.total_usd:.4f} for {len(self.quotes)} runs ({sources or 'no quotes'})"


def quote_batch(
    mode: str,
    batch: Sequence[Mapping[str, Any]],
    defaults: Mapping[str, Any] | None = None,
    *,
    max_total_usd: float | str | None = None,
    wavespeed_conn_id: str = DEFAULT_CONN_ID,
) -> BatchQuote:
    """Quote every item of ``batch`` as the generation operator of ``mode`` would send it.

    Each item is merged over ``defaults`` (the request fields shared by the batch, the
    ones you also give ``.partial()``), built and validated by the mode's own request
    type (``InvalidRequestError`` names the item and field), and quoted. Nothing is
    uploaded or paid. Usable in a ``@task``; :class:`SeedanceQuoteOperator` wraps it.
    """
    operator = _operator_for(mode)
    common = dict(defaults or {})
    _check_keys(operator, common, "defaults", _request_keys(operator))
    items = [_item(operator, value, index) for index, value in enumerate(_as_list(batch))]
    requests = []
    for index, item in enumerate(items):
        try:
            requests.append(operator.request_from({**common, **item}))
        except InvalidRequestError as err:
            named = InvalidRequestError(f"batch[{index}].{err.field}", err.value, err.allowed)
            named.message = f"batch[{index}].{err}"  # the core's wording, with its reason
            named.args = (named.message,)
            raise named from err
    with SeedanceHook(wavespeed_conn_id=wavespeed_conn_id).get_conn() as client:
        quotes = tuple(client.quote(request) for request in requests)
    return BatchQuote(tuple(items), quotes, parse_cap(max_total_usd, "max_total_usd"))


class SeedanceQuoteOperator(BaseOperator):
    """Quote a mapped batch, enforce a run cap, and hand each map index its allocation.

    Returns the batch (a list of dicts, as ``expand_kwargs`` takes) with ``max_cost_usd``
    set on every item to its own quote: feed it to the generation operator with
    ``.expand_kwargs(quote.output)``. Also pushes ``seedance_quotes`` (per item) and
    ``seedance_quote_total`` (total, sources, cap, over_cap) to XCom.

    :param mode: ``text-to-video``, ``image-to-video``, ``video-extend`` or ``video-edit``.
    :param batch: The items (dicts of the generation operator's arguments). Templated:
        it may be an upstream task's XCom.
    :param defaults: The request fields every item shares (the ones you pass to the
        generation task's ``.partial()``), so they are priced too. Templated.
    :param max_total_usd: The run cap in USD. Over it the task fails (nothing runs),
        unless ``approval_task_id`` is set. Templated.
    :param approval_task_id: Over the cap, do not fail: hand over to this task, which must
        be directly downstream, with every other task that uses this one's output
        downstream of it (checked: nothing may bypass it). A
        :class:`~.approval.SeedanceSpendApprovalOperator` (Airflow 3.1+) asks a person
        only when the batch is over the cap; any other approval step works too.
    :param check_balance: Fail when the account balance is below the total.
    :param wavespeed_conn_id: Connection holding the API key.
    """

    template_fields: Sequence[str] = ("batch", "defaults", "max_total_usd")
    template_fields_renderers = {"batch": "json", "defaults": "json"}
    ui_color = "#f5c542"

    def __init__(
        self,
        *,
        mode: str,
        batch: Any,
        defaults: dict[str, Any] | None = None,
        max_total_usd: float | str | None = None,
        approval_task_id: str | None = None,
        check_balance: bool = False,
        wavespeed_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _operator_for(mode)  # an unknown mode fails when the DAG is parsed
        if isinstance(max_total_usd, int | float):
            parse_cap(max_total_usd, "max_total_usd")
        self.mode = mode
        self.batch = batch
        self.defaults = defaults
        self.max_total_usd = max_total_usd
        self.approval_task_id = approval_task_id
        self.check_balance = check_balance
        self.wavespeed_conn_id = wavespeed_conn_id

    def execute(self, context: Any) -> list[dict[str, Any]]:
        """Quote, record, then allocate, refuse, or hand over to the approval step."""
        self._check_approval_guards()
        try:
            quoted = quote_batch(
                self.mode,
                self.batch,
                self.defaults,
                max_total_usd=self.max_total_usd,
                wavespeed_conn_id=self.wavespeed_conn_id,
            )
        except InvalidRequestError as err:
            raise AirflowFailException(f"{err}; nothing was submitted") from err
        ti = context["ti"]
        ti.xcom_push(key=QUOTES_XCOM_KEY, value=quoted.per_item())
        ti.xcom_push(key=TOTAL_XCOM_KEY, value=quoted.summary())
        for index, quote in enumerate(quoted.quotes):
            log.info("batch[%d]: %s", index, quote.describe())
        cap = quoted.max_total_usd
        shown_cap = "none" if cap is None else f"${cap:.4f}"
        log.info("Batch total %s; run cap %s", quoted.describe(), shown_cap)
        self._refuse_unpayable(quoted)
        allocations = quoted.allocations()
        if quoted.over_cap:
            if not self.approval_task_id:
                raise AirflowFailException(
                    f"This batch costs {quoted.describe()}, above the run cap of ${cap:.4f}; "
                    "nothing was submitted. Raise max_total_usd, shorten or trim the batch, "
                    "or set approval_task_id to let a person decide."
                )
            log.warning("Over the run cap: %s decides", self.approval_task_id)
        return allocations

    def _check_approval_guards(self) -> None:
        """An approval step must stand between this task and every task that spends."""
        approval = self.approval_task_id
        if not approval:
            return
        if approval not in self.downstream_task_ids:
            raise AirflowFailException(
                f"approval_task_id {approval!r} must be directly downstream of "
                f"{self.task_id!r} (set {self.task_id} >> {approval})"
            )
        bypass = sorted(
            task.task_id
            for task in self.get_direct_relatives(upstream=False)
            if task.task_id != approval
            and approval not in task.get_flat_relative_ids(upstream=True)
        )
        if bypass:
            raise AirflowFailException(
                f"{', '.join(bypass)} would run without waiting for {approval!r}: put "
                f"{approval} >> {bypass[0]} so nothing over the cap runs unapproved"
            )

    def _refuse_unpayable(self, quoted: BatchQuote) -> None:
        over = quoted.over_item_caps()
        if over:
            shown = ", ".join(f"batch[{i}] {quoted.quotes[i].describe()}" for i in over[:5])
            raise AirflowFailException(
                f"{len(over)} item(s) cost more than their own max_cost_usd ({shown}); "
                "nothing was submitted."
            )
        if self.check_balance:
            with SeedanceHook(wavespeed_conn_id=self.wavespeed_conn_id).get_conn() as client:
                try:
                    balance = client.balance()
                except SeedanceError as err:
                    raise AirflowFailException(f"The balance could not be read: {err}") from err
            if balance < quoted.total_usd:
                short = InsufficientBalanceError.before_paying(
                    "This batch", quoted.describe(), balance, quoted.total_usd
                )
                raise AirflowFailException(str(short)) from short


def _operator_for(mode: str) -> type[SeedanceGenerationOperator]:
    try:
        return OPERATORS_BY_MODE[mode]
    except (KeyError, TypeError):
        raise InvalidRequestError("mode", mode, ", ".join(OPERATORS_BY_MODE)) from None


def _as_list(batch: Any) -> list[Any]:
    if isinstance(batch, Mapping | str | bytes) or not hasattr(batch, "__iter__"):
        raise InvalidRequestError("batch", batch, "a list of dicts of operator arguments")
    return list(batch)


def _request_keys(operator: type[SeedanceGenerationOperator]) -> set[str]:
    return {*operator.FIELDS, "model", "extra_params"}


def _init_params(operator: type[Any]) -> set[str]:
    """Every argument name an ``__init__`` in the operator's classes accepts."""
    names: set[str] = set()
    for klass in operator.mro():
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for param in inspect.signature(init).parameters.values():
            if param.kind in (param.KEYWORD_ONLY, param.POSITIONAL_OR_KEYWORD):
                names.add(param.name)
    return names - {"self"}


def _item(operator: type[SeedanceGenerationOperator], value: Any, index: int) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidRequestError(f"batch[{index}]", value, "a dict of operator arguments")
    item = dict(value)
    _check_keys(operator, item, f"batch[{index}]", _init_params(operator))
    return item


def _check_keys(
    operator: type[SeedanceGenerationOperator],
    values: Mapping[str, Any],
    where: str,
    allowed: set[str],
) -> None:
    """Refuse a misspelt argument now, not after part of the batch has been paid for."""
    unknown = sorted(set(values) - allowed)
    if unknown:
        named = sorted(allowed & (_request_keys(operator) | {_CAP_KEY}))
        raise InvalidRequestError(
            where,
            ", ".join(unknown),
            f"arguments of {operator.__name__} such as {', '.join(named)}",
            reason="unknown argument(s):",
        )
