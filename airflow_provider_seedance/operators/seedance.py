"""The Seedance operators, importable from one place.

``from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator``
is how DAGs written for the first version of this provider import it, so this module
keeps that name (and the constants they used) while the code lives in :mod:`.base`
(submit, defer, reattach, pay once, caps, download), :mod:`.modes` (one declaration per
mode) and :mod:`.quote` (pricing a batch before it runs).
"""

from __future__ import annotations

from airflow_provider_seedance.operators.base import (
    OPERATOR_TIMEOUT,
    PREDICTION_ID_XCOM_KEY,
    SeedanceGenerationOperator,
)
from airflow_provider_seedance.operators.budget import QUOTE_XCOM_KEY
from airflow_provider_seedance.operators.modes import (
    SeedanceImageToVideoOperator,
    SeedanceTextToVideoOperator,
    SeedanceVideoEditOperator,
    SeedanceVideoExtendOperator,
)
from airflow_provider_seedance.operators.quote import SeedanceQuoteOperator, quote_batch

__all__ = [
    "OPERATOR_TIMEOUT",
    "PREDICTION_ID_XCOM_KEY",
    "QUOTE_XCOM_KEY",
    "SeedanceGenerationOperator",
    "SeedanceImageToVideoOperator",
    "SeedanceQuoteOperator",
    "SeedanceTextToVideoOperator",
    "SeedanceVideoEditOperator",
    "SeedanceVideoExtendOperator",
    "quote_batch",
]
