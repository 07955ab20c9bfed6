""" "Today" for every date rule: the current date in Europe/Berlin, or `PORTAL_SYNC_TODAY`.

The override (YYYY-MM-DD) makes demo generation, dbt and the emulators agree on one date
in tests and scenarios.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from portal_sync.errors import UserError

TODAY_ENV = "PORTAL_SYNC_TODAY"
TIMEZONE = ZoneInfo("Europe/Berlin")


def today(environ: Mapping[str, str] | None = None) -> date:
    """`PORTAL_SYNC_TODAY` if set, else the current date in Europe/Berlin.

    Raises:
        UserError: when `PORTAL_SYNC_TODAY` is not a date.
    """
    env = os.environ if environ is None else environ
    raw = env.get(TODAY_ENV, "").strip()
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise UserError(f"{TODAY_ENV}={raw!r} is not a date (expected YYYY-MM-DD)") from None
    return datetime.now(TIMEZONE).date()


def is_overridden(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return bool(env.get(TODAY_ENV, "").strip())
