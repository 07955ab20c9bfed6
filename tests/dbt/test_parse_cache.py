"""The parsed dbt project is shared between warehouses (dbt's partial parsing)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from portal_sync.dbt import PARSE_CACHE_ENV, parse_cache_dir, run_dbt
from portal_sync.settings import load_settings
from tests.dbt.conftest import write_settings

ENVIRON = {"PORTAL_SYNC_TODAY": "2026-06-15"}


def _parse(folder: Path, cache: Path, portal_extra: str = "") -> str:
    """`dbt parse` for a warehouse in `folder`; the log of the run."""
    folder.mkdir(parents=True, exist_ok=True)
    settings_file = write_settings(folder, folder / "portal.duckdb", portal_extra=portal_extra)
    environ = {**ENVIRON, PARSE_CACHE_ENV: str(cache)}
    log = folder / "dbt" / "logs" / "dbt.log"
    if log.exists():
        log.unlink()
    run_dbt(load_settings(settings_file, environ=environ), ["parse"], environ)
    return log.read_text(encoding="utf-8")


def test_a_new_warehouse_reuses_the_parsed_project(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    # The cache cannot be written (its folder is a file): dbt parses, the run still works.
    first = _parse(tmp_path / "a", blocked / "cache")
    assert "Starting full parse" in first
    cache = tmp_path / "cache"
    again = _parse(tmp_path / "a", cache)
    assert "no changes found, skipping parsing" in again
    assert len(list(cache.glob("*.msgpack"))) == 1
    other = _parse(tmp_path / "b", cache)
    assert "no changes found, skipping parsing" in other
    assert (tmp_path / "b" / "dbt" / "target" / "manifest.json").exists()
    # Other settings (vars) are a different parse: dbt would reject the saved one.
    changed = _parse(tmp_path / "c", cache, portal_extra="days_before_move_in = 7")
    assert "Starting full parse" in changed
    assert len(list(cache.glob("*.msgpack"))) == 2


def test_parse_cache_folder_default_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PARSE_CACHE_ENV, raising=False)
    assert parse_cache_dir().parts[-2:] == ("target", "parse-cache")
    assert parse_cache_dir({PARSE_CACHE_ENV: "/x/y"}) == Path("/x/y")


def test_the_cache_keeps_only_the_newest_parses(tmp_path: Path) -> None:
    from portal_sync.dbt import _prune_parse_cache

    for number in range(5):
        entry = tmp_path / f"{number}.msgpack"
        entry.write_bytes(b"x")
        os.utime(entry, ns=(number * 10**9, number * 10**9))
    (tmp_path / "other.txt").write_text("kept", encoding="utf-8")
    _prune_parse_cache(tmp_path, keep=2)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "3.msgpack",
        "4.msgpack",
        "other.txt",
    ]
