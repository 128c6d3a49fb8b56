"""Run every bad-input case for real and write the table into docs/reliability.md.

Why generated: the table shows the exact message a user sees for each bad input, on
each layer; hand-written messages drift from the code. The cases themselves live in
``tests/reliability/bad_inputs*.py`` and the test suite asserts the same runs.

    .venv/bin/python scripts/bad_input_table.py            # rewrite the table in the doc
    .venv/bin/python scripts/bad_input_table.py --stdout   # print it instead
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
START, END = "<!-- bad-input-table:start -->", "<!-- bad-input-table:end -->"
UNTYPED = {"(no error)", "AttributeError", "TypeError", "ValueError", "KeyError", "OSError",
           "NotADirectoryError", "PermissionError", "FileNotFoundError"}  # fmt: skip


def normalise(message: str, work: Path) -> str:
    """Stable text for the doc: temp paths, ports and random ids replaced by placeholders."""
    text = message.replace(str(work), "<tmp>")
    text = re.sub(r"/tmp/[\w.-]+", "<tmp>", text)
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", text)
    text = re.sub(r"\('127\.0\.0\.1', \d+\)", "('127.0.0.1', <port>)", text)  # aiohttp's form
    text = re.sub(r"\b[0-9a-f]{32}\b", "<prediction-id>", text)
    text = re.sub(r"\b[0-9a-f]{16}\b", "<fingerprint>", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", text)
    return " ".join(text.split()).replace("|", "\\|")


def build_table() -> str:
    sys.path.insert(0, str(ROOT))
    from tests.reliability.bad_inputs import CLIENT_CASES, KEY, WRONG_KEY, environment, run_case
    from tests.reliability.bad_inputs_hosts import NODE_CASES, OPERATOR_CASES

    rows = [
        "| # | Layer | Bad input | Error the user gets | Message (verbatim, normalised) "
        "| Submits | Verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="bad-input-") as tmp:
        work = Path(tmp)
        os.environ.setdefault("AIRFLOW_HOME", str(work / "airflow-home"))
        os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        with environment(work) as env:
            for number, case in enumerate(CLIENT_CASES + OPERATOR_CASES + NODE_CASES, 1):
                outcome = run_case(case, env)
                ok = (
                    outcome.error_type not in UNTYPED
                    and case.names in outcome.message
                    and KEY not in outcome.message
                    and WRONG_KEY not in outcome.message
                    and (outcome.submits == 0 or not case.before_paying)
                    and outcome.previous_intact
                    and not outcome.leftovers
                )
                verdict = "ok" if ok else "**BUG**"
                paid = str(outcome.submits) + ("" if case.before_paying else " (after)")
                rows.append(
                    f"| {number} | {case.layer} | {case.what} | `{outcome.error_type}` | "
                    f"{normalise(outcome.message, work) or '(none: it was accepted)'} | "
                    f"{paid} | {verdict} |"
                )
    return "\n".join(rows) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdout", action="store_true", help="print instead of editing")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # retries log warnings; the table is the output
    table = build_table()
    if args.stdout or not DOC.exists():
        sys.stdout.write(table)
        return 0
    doc = DOC.read_text()
    if START not in doc or END not in doc:
        sys.stderr.write(f"{DOC} has no {START} ... {END} markers; printing instead\n")
        sys.stdout.write(table)
        return 1
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n{table}{END}{tail}")
    print(f"wrote {table.count(chr(10)) - 2} rows into {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
