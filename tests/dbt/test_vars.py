"""Settings reach dbt as vars from the one settings file; no second copy of any setting."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from portal_sync.clock import today
from portal_sync.dbt import PROJECT_DIR, dbt_vars
from portal_sync.errors import UserError
from portal_sync.settings import Settings, load_settings


def test_every_rule_setting_becomes_a_var(tmp_path: Path) -> None:
    config = tmp_path / "portal-sync.toml"
    config.write_text(
        """
[ixhaus]
technical_user = "SYNC"
[portal]
object_range = "1-5, 7"
person_types = ["MIETER"]
document_types = ["A", "B"]
document_types_without_time_filter = ["B"]
business_year_start_month = 7
days_before_move_in = 10
days_after_move_out = 20
owner_documents = true
max_file_size_mb = 2.5
[docuware]
enabled = false
document_types = ["Mahnung"]
filter = [{field = "status", equals = "ENTWURF"}, {field = "DOKUMENTTYP", in = ["X", "Y"]}]
""",
        encoding="utf-8",
    )
    environ = {"PORTAL_SYNC_TODAY": "2026-01-31"}
    values = dbt_vars(load_settings(config, environ=environ), environ)
    assert values["today"] == "2026-01-31"
    assert values["technical_user"] == "SYNC"
    assert values["object_ranges"] == [[1, 5], [7, 7]]
    assert values["person_types"] == ["MIETER"]
    assert values["document_types"] == ["A", "B"]
    assert values["document_types_without_time_filter"] == ["B"]
    assert values["business_year_start_month"] == 7
    assert (values["days_before_move_in"], values["days_after_move_out"]) == (10, 20)
    assert values["owner_documents"] is True
    assert values["max_file_size_mb"] == 2.5
    assert values["docuware_enabled"] is False
    assert values["docuware_document_types"] == ["Mahnung"]
    assert values["docuware_filter"] == [
        {"field": "STATUS", "equals": "ENTWURF", "not_equals": None, "in": None},
        {"field": "DOKUMENTTYP", "equals": None, "not_equals": None, "in": ["X", "Y"]},
    ]


def test_dbt_project_var_defaults_equal_the_settings_defaults() -> None:
    """The defaults only serve a bare `dbt` call; they must not drift from settings.py."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    defaults = dbt_vars(Settings(), {"PORTAL_SYNC_TODAY": "2026-01-01"})
    declared = dict(project["vars"])
    assert declared.pop("today") == ""
    defaults.pop("today")
    assert declared == defaults


def test_no_setting_value_is_copied_into_the_sql() -> None:
    sql = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("dbt_project/models", "dbt_project/macros")
        for path in (PROJECT_DIR / folder).rglob("*.sql")
    )
    defaults = Settings()
    for value in [
        *defaults.portal.person_types,
        *defaults.portal.document_types,
        *defaults.docuware.document_types,
    ]:
        assert f"'{value}'" not in sql, value


def test_a_malformed_today_is_one_readable_error() -> None:
    with pytest.raises(UserError, match=r"PORTAL_SYNC_TODAY='15\.06\.2026' is not a date"):
        today({"PORTAL_SYNC_TODAY": "15.06.2026"})
