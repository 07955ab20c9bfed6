"""Settings: the demo file loads, env overrides apply, errors name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal_sync.settings import SettingsError, load_settings, parse_object_range

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "portal-sync.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_demo_settings_load() -> None:
    settings = load_settings(ROOT / "portal-sync.toml", environ={})
    assert settings.portal.days_after_move_out == 365
    assert settings.docuware.enabled is True
    assert settings.warehouse_path == ROOT / "warehouse" / "portal.duckdb"


def test_object_range_is_parsed() -> None:
    assert parse_object_range("1000-1999, 2500") == [(1000, 1999), (2500, 2500)]
    assert parse_object_range("  ") == []


@pytest.mark.parametrize("text", ["1000-", "abc", "2000-1000", "1000,,2000"])
def test_a_bad_object_range_names_the_key(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, f'[portal]\nobject_range = "{text}"\n')
    with pytest.raises(SettingsError, match=r"portal\.object_range"):
        load_settings(path, environ={})


def test_an_unknown_key_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "[portal]\nobject_rnage = '1'\n")
    with pytest.raises(SettingsError, match=r"portal\.object_rnage: unknown key"):
        load_settings(path, environ={})


def test_a_wrong_type_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "[portal]\ndays_after_move_out = 'lots'\n")
    with pytest.raises(SettingsError, match=r"portal\.days_after_move_out"):
        load_settings(path, environ={})


def test_environment_overrides_win_and_are_typed(tmp_path: Path) -> None:
    path = write(tmp_path, "[portal]\ndays_after_move_out = 100\n")
    env = {
        "PORTAL_SYNC__PORTAL__DAYS_AFTER_MOVE_OUT": "200",
        "PORTAL_SYNC__DOCUWARE__ENABLED": "false",
        "PORTAL_SYNC__PORTAL__PERSON_TYPES": "MIETER, EIGENTUEMER",
    }
    settings = load_settings(path, environ=env)
    assert settings.portal.days_after_move_out == 200
    assert settings.docuware.enabled is False
    assert settings.portal.person_types == ["MIETER", "EIGENTUEMER"]


def test_a_bad_environment_override_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with pytest.raises(SettingsError, match=r"casavi\.concurrency"):
        load_settings(path, environ={"PORTAL_SYNC__CASAVI__CONCURRENCY": "many"})
    with pytest.raises(SettingsError, match="PORTAL_SYNC__NOPE"):
        load_settings(path, environ={"PORTAL_SYNC__NOPE": "1"})


def test_a_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "[portal\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(path, environ={})
