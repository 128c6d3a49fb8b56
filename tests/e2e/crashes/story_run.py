"""Run one storyboard in its own process (killed with SIGKILL by the crash test)."""

from __future__ import annotations

import json
import sys

from shared_client import SeedanceClient, Storyboard


def main() -> None:
    base_url, key, board_path, dest, settle = sys.argv[1:6]
    with SeedanceClient(api_key=key, base_url=base_url) as client:
        result = client.generate_story(
            Storyboard.from_file(board_path), dest, poll_interval=0.2, timeout=120,
            settle_window=float(settle),
        )  # fmt: skip
    print(json.dumps({"film": str(result.film), "shots": [s.prediction_id for s in result.shots]}))


if __name__ == "__main__":
    main()
