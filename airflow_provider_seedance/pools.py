"""One Airflow pool per WaveSpeed account, sized to the account level's concurrency limit.

Why: WaveSpeed runs at most ``max_concurrent`` tasks of an account at once (Bronze 2,
Silver 300, Gold 3,000, Ultra 10,000) and queues the rest. If Airflow starts more
generations than that, the extra ones wait in WaveSpeed's queue while their operator
``timeout`` runs and their pool slots, triggers and polls are spent on nothing; if it
starts fewer, the account idles. A pool with exactly the level's slots, counting
deferred tasks (``--include-deferred``: a deferred generation is still running at
WaveSpeed), keeps Airflow's queue and WaveSpeed's from fighting: Airflow holds back what
WaveSpeed would only queue.

The pool is per *account* (per connection), not per level: two Silver accounts each run
300 tasks. Its name is ``seedance`` for the default connection ``wavespeed_default`` and
``seedance_<conn id>`` for any other; its size comes from the connection's
``account_level`` extra (default Bronze, a new account's level) through the core's one
table (``shared_client.ACCOUNT_LEVELS``).

Airflow creates pools with its CLI or REST API, not from a DAG file, so this module is
also a command that prints and runs the right ``airflow pools set``::

    python -m airflow_provider_seedance.pools                  # wavespeed_default
    python -m airflow_provider_seedance.pools --conn-id wavespeed_team_b --print
    python -m airflow_provider_seedance.pools --level silver   # without a connection
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from airflow_provider_seedance.hooks.seedance import DEFAULT_CONN_ID
from shared_client import InvalidRequestError, account_level

POOL_PREFIX = "seedance"


@dataclass(frozen=True)
class SeedancePool:
    """The pool of one WaveSpeed account: its name, slots and the level they come from."""

    name: str
    slots: int
    level: str
    wavespeed_conn_id: str

    @property
    def description(self) -> str:
        return (
            f"Seedance generations of connection {self.wavespeed_conn_id} "
            f"({self.level}: {self.slots} concurrent tasks)"
        )

    def pools_set_command(self, airflow: str = "airflow") -> list[str]:
        """``airflow pools set`` for this pool; deferred tasks count, they run at WaveSpeed."""
        return [
            airflow,
            "pools",
            "set",
            self.name,
            str(self.slots),
            self.description,
            "--include-deferred",
        ]


def seedance_pool_name(wavespeed_conn_id: str = DEFAULT_CONN_ID) -> str:
    """The pool of a connection's account: ``seedance``, or ``seedance_<conn id>``."""
    if wavespeed_conn_id == DEFAULT_CONN_ID:
        return POOL_PREFIX
    return f"{POOL_PREFIX}_{re.sub(r'[^A-Za-z0-9_.-]', '_', wavespeed_conn_id)}"


def seedance_pool_slots(level: str | None = None) -> int:
    """The pool size for an account level: its concurrency limit (None: Bronze)."""
    return account_level(level).max_concurrent


def seedance_pool(
    wavespeed_conn_id: str = DEFAULT_CONN_ID, level: str | None = None
) -> SeedancePool:
    """The pool for a connection; ``level`` None reads the connection's ``account_level``."""
    if level is None:
        from airflow_provider_seedance.hooks.seedance import SeedanceHook

        level = SeedanceHook(wavespeed_conn_id).account_level().name
    found = account_level(level)
    return SeedancePool(
        seedance_pool_name(wavespeed_conn_id), found.max_concurrent, found.name, wavespeed_conn_id
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Print (and unless ``--print``, run) the ``airflow pools set`` for a connection."""
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_seedance.pools",
        description="Create or resize the Airflow pool of a WaveSpeed account.",
    )
    parser.add_argument("--conn-id", default=DEFAULT_CONN_ID, help="the wavespeed connection")
    parser.add_argument("--level", default=None, help="account level (default: the connection's)")
    parser.add_argument("--print", action="store_true", help="only print the command")
    parser.add_argument("--airflow", default=shutil.which("airflow") or "airflow")
    args = parser.parse_args(argv)
    try:
        pool = seedance_pool(args.conn_id, args.level)
    except InvalidRequestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    command = pool.pools_set_command(args.airflow)
    print(shlex.join(command), flush=True)
    if args.print:
        return 0
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
