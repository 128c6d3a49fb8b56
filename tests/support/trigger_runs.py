"""Which triggerer ran which trigger, and which run's event the task accepted: from the logs.

Airflow writes a trigger's log next to its task try's log, one file per triggerer job:
``.../map_index=7/attempt=1.log.trigger.<triggerer job id>.log``. The provider's trigger
logs ``Trigger run <id> waits for prediction <p>`` when a run starts and ``Trigger run
<id> yields <status>`` when it fires; the operator logs ``Accepted the event of trigger
run <id> ...`` when the task resumes. Reading them per task try gives, without any test
hook in the provider: the triggerers each trigger ran in (adoption), how many runs it
had (duplicates), which runs yielded, and how many events the task accepted.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

_TRY = re.compile(r"map_index=(-?\d+)/attempt=(\d+)\.log$")
_TRIGGER_FILE = re.compile(r"map_index=(-?\d+)/attempt=(\d+)\.log\.trigger\.(\d+)\.log$")
_WAITS = re.compile(r"Trigger run ([0-9a-f]+) waits for prediction")
_YIELDS = re.compile(r"Trigger run ([0-9a-f]+) yields (\w+)")
_ACCEPTED = re.compile(r"Accepted the event of trigger run ([0-9a-f]+)")


@dataclass
class TryRecord:
    """One task try (map index, attempt) as its logs tell it."""

    map_index: int
    attempt: int
    triggerers: set[int] = field(default_factory=set)  # triggerer job ids that ran it
    runs: list[str] = field(default_factory=list)  # trigger runs started
    yielded: dict[str, str] = field(default_factory=dict)  # run -> status
    accepted: list[str] = field(default_factory=list)  # runs whose event the task took

    @property
    def adopted(self) -> bool:
        return len(self.triggerers) > 1

    @property
    def duplicate_runs(self) -> int:
        return max(len(set(self.runs)) - 1, 0)


def read_tries(logs_root: Path, dag_id: str, task_id: str) -> dict[tuple[int, int], TryRecord]:
    """Every try of ``dag_id.task_id`` under ``logs_root`` with its trigger runs and events."""
    tries: dict[tuple[int, int], TryRecord] = {}

    def record(m: int, a: int) -> TryRecord:
        return tries.setdefault((m, a), TryRecord(m, a))

    base = logs_root / f"dag_id={dag_id}"
    for path in base.glob(f"run_id=*/task_id={task_id}/map_index=*/attempt=*"):
        text = path.read_text(errors="replace")
        posix = path.as_posix()
        if match := _TRIGGER_FILE.search(posix):
            rec = record(int(match[1]), int(match[2]))
            rec.triggerers.add(int(match[3]))
            rec.runs += _WAITS.findall(text)
            rec.yielded.update(dict(_YIELDS.findall(text)))
        elif match := _TRY.search(posix):
            record(int(match[1]), int(match[2])).accepted += _ACCEPTED.findall(text)
    return tries


def summarise(tries: dict[tuple[int, int], TryRecord]) -> dict[str, int]:
    """Counts the e2e prints and the docs record."""
    per_index: dict[int, int] = defaultdict(int)
    for (m, _), rec in tries.items():
        per_index[m] += len(rec.accepted)
    return {
        "tries": len(tries),
        "trigger_runs": sum(len(set(r.runs)) for r in tries.values()),
        "tries_adopted": sum(r.adopted for r in tries.values()),
        "duplicate_trigger_runs": sum(r.duplicate_runs for r in tries.values()),
        "events_yielded": sum(len(r.yielded) for r in tries.values()),
        "events_accepted": sum(len(r.accepted) for r in tries.values()),
    }
