"""Run the write-back in a child process: `python -m tests.writeback.runner RUN_ID`.

The crash tests kill this process with `PORTAL_SYNC_CRASH_AT`; it prints the counts as
one JSON line when it finishes.
"""

from __future__ import annotations

import json
import sys

from portal_sync.settings import load_settings
from publishers.ixhaus import writeback


def main() -> None:
    settings = load_settings()
    counts = writeback(settings, settings.warehouse_path, int(sys.argv[1]))
    print(json.dumps(counts, sort_keys=True))


if __name__ == "__main__":
    main()
