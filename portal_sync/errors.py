"""Errors a user can cause and fix: the CLI prints them as one line and exits non-zero."""

from __future__ import annotations


class UserError(Exception):
    """A readable, one-line problem (bad settings, unreachable service, locked file, ...)."""

    exit_code = 1
