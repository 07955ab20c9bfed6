"""Write-back to iX-Haus: portal tickets, notes, media, contact preferences, portal state, routes."""

from __future__ import annotations

from publishers.ixhaus.writeback import writeback

__all__ = ["writeback"]
