"""One place that knows which Airflow is running, so the rest of the provider does not.

``apache-airflow-providers-common-compat`` maps each Airflow 3 ``airflow.sdk`` name to its
Airflow 2 location; importing through it keeps every other module free of version checks.
"""

from __future__ import annotations

from airflow import __version__ as _airflow_version
from packaging.version import Version

_BASE = Version(Version(_airflow_version).base_version)

AIRFLOW_V_3_0_PLUS = Version("3.0.0") <= _BASE
#: ``Trigger.on_kill`` (async cleanup when a deferred task is killed) and ``task_state_store``
#: (the store behind ``ResumableJobMixin``) both arrived in Airflow 3.3.
AIRFLOW_V_3_3_PLUS = Version("3.3.0") <= _BASE

__all__ = ["AIRFLOW_V_3_0_PLUS", "AIRFLOW_V_3_3_PLUS"]
