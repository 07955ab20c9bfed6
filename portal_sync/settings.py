"""The one settings file (`portal-sync.toml`) and its environment overrides.

Read once at start-up by the CLI and passed down. Secrets are never read from the file:
they come from environment variables or `.dlt/secrets.toml` (see `secret()`).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

CONFIG_ENV = "PORTAL_SYNC_CONFIG"
DEFAULT_CONFIG = "portal-sync.toml"
ENV_PREFIX = "PORTAL_SYNC__"


class SettingsError(Exception):
    """A settings problem a user can fix; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Warehouse(_Section):
    path: str = "warehouse/portal.duckdb"


class IxHaus(_Section):
    url: str = "sqlite:///demo/ixhaus.sqlite"
    technical_user: str = "PORTAL"


_RANGE_PART = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_object_range(text: str) -> list[tuple[int, int]]:
    """Parse `"1000-1999, 2500"` into inclusive ranges; empty means all objects.

    Raises:
        ValueError: on a part that is not `N` or `N-M` with N <= M.
    """
    ranges: list[tuple[int, int]] = []
    if not text.strip():
        return ranges
    for part in text.split(","):
        match = _RANGE_PART.match(part)
        if not match:
            raise ValueError(
                f"cannot read {part.strip()!r}: expected N or N-M, e.g. '1000-1999, 2500'"
            )
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) else low
        if high < low:
            raise ValueError(f"range {part.strip()!r} ends before it starts")
        ranges.append((low, high))
    return ranges


class Portal(_Section):
    object_range: str = ""
    person_types: list[str] = ["MIETER", "EIGENTUEMER", "HAUSMEISTER"]
    document_types: list[str] = ["NK-ABRECHNUNG", "MIETVERTRAG", "HAUSORDNUNG", "PROTOKOLL"]
    document_types_without_time_filter: list[str] = ["MIETVERTRAG", "HAUSORDNUNG"]
    business_year_start_month: int = Field(default=1, ge=1, le=12)
    days_before_move_in: int = Field(default=30, ge=0)
    days_after_move_out: int = Field(default=365, ge=0)
    owner_documents: bool = False
    max_file_size_mb: float = Field(default=100, gt=0)
    max_delete_ratio: float = Field(default=0.10, ge=0, le=1)
    stuck_after_failures: int = Field(default=5, ge=1)

    @field_validator("object_range")
    @classmethod
    def _check_range(cls, value: str) -> str:
        parse_object_range(value)
        return value

    @property
    def object_ranges(self) -> list[tuple[int, int]]:
        return parse_object_range(self.object_range)


class Casavi(_Section):
    url: str = "http://127.0.0.1:8700"
    concurrency: int = Field(default=8, ge=1, le=64)
    requests_per_second: float = Field(default=20, gt=0)
    timeout_seconds: float = Field(default=30, gt=0)
    max_retries: int = Field(default=6, ge=0)
    snapshot_max_age_minutes: int = Field(default=60, ge=1)


class DocuWareFilterRule(_Section):
    field: str
    equals: str | None = None
    not_equals: str | None = None
    in_: list[str] | None = Field(default=None, alias="in")


class DocuWare(_Section):
    enabled: bool = True
    url: str = "http://127.0.0.1:8701/DocuWare/Platform"
    file_cabinet: str = "Archiv"
    document_types: list[str] = ["Nebenkostenabrechnung", "Mietvertrag", "Mahnung"]
    filter: list[DocuWareFilterRule] = []
    page_size: int = Field(default=500, ge=1, le=10000)


class Schedule(_Section):
    every_seconds: int = Field(default=180, ge=10)


class Settings(_Section):
    warehouse: Warehouse = Warehouse()
    ixhaus: IxHaus = IxHaus()
    portal: Portal = Portal()
    casavi: Casavi = Casavi()
    docuware: DocuWare = DocuWare()
    schedule: Schedule = Schedule()
    source: str = ""  # the file these settings came from, for messages

    def resolve(self, relative: str) -> Path:
        """A path from the settings, relative to the settings file's folder."""
        path = Path(relative)
        if path.is_absolute() or not self.source:
            return path
        return Path(self.source).resolve().parent / path

    @property
    def warehouse_path(self) -> Path:
        return self.resolve(self.warehouse.path)

    @property
    def ixhaus_url(self) -> str:
        """The iX-Haus SQLAlchemy URL; a relative SQLite path is taken from the settings folder.

        A URL holding a password belongs in `IXHAUS_URL` (env) or `.dlt/secrets.toml`.
        """
        url = secret("IXHAUS_URL") or self.ixhaus.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve(url[len(prefix) :]))
        return url


_SECTIONS = {name for name in Settings.model_fields if name != "source"}


def _coerce_env(raw: str, current: Any) -> Any:
    """Turn an environment string into the type the key has in the file or the default."""
    if isinstance(current, bool):
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        return raw
    if isinstance(current, int):
        try:
            return int(raw)
        except ValueError:
            return raw
    if isinstance(current, float):
        try:
            return float(raw)
        except ValueError:
            return raw
    if isinstance(current, list):
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = [item.strip() for item in raw.split(",") if item.strip()]
        return value
    return raw


def _apply_env(data: dict[str, Any], environ: dict[str, str]) -> None:
    defaults = Settings().model_dump(by_alias=True)
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        parts = name[len(ENV_PREFIX) :].lower().split("__")
        if len(parts) != 2 or parts[0] not in _SECTIONS:
            raise SettingsError(
                f"environment variable {name}: expected {ENV_PREFIX}<SECTION>__<KEY>"
            )
        section, key = parts
        current = data.get(section, {}).get(key, defaults[section].get(key, ""))
        data.setdefault(section, {})[key] = _coerce_env(raw, current)


def _describe(error: ValidationError, source: str) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    message = message.removeprefix("Value error, ")
    return f"{source}: setting {key}: {message}"


def load_settings(
    path: str | Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Read the settings file, apply `PORTAL_SYNC__SECTION__KEY` overrides, validate.

    Raises:
        SettingsError: one readable line naming the file and the bad key.
    """
    environ = dict(os.environ if environ is None else environ)
    chosen = Path(path or environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
    data: dict[str, Any] = {}
    if chosen.exists():
        try:
            data = tomllib.loads(chosen.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{chosen}: not valid TOML: {exc}") from None
    elif path is not None or CONFIG_ENV in environ:
        raise SettingsError(f"{chosen}: settings file not found")
    for section, value in data.items():
        if section in _SECTIONS and not isinstance(value, dict):
            raise SettingsError(f"{chosen}: setting {section}: must be a [{section}] table")
    _apply_env(data, environ)
    try:
        return Settings.model_validate({**data, "source": str(chosen)})
    except ValidationError as exc:
        raise SettingsError(_describe(exc, str(chosen))) from None


def secret(name: str, default: str | None = None) -> str | None:
    """A secret from the environment, else from `.dlt/secrets.toml` (flat `NAME = "..."`).

    Names: CASAVI_KEY, CASAVI_SECRET, DOCUWARE_USERNAME, DOCUWARE_PASSWORD, IXHAUS_URL.
    """
    if os.environ.get(name):
        return os.environ[name]
    secrets_file = Path(os.environ.get("PORTAL_SYNC_SECRETS", ".dlt/secrets.toml"))
    if secrets_file.exists():
        try:
            values = tomllib.loads(secrets_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError:
            raise SettingsError(f"{secrets_file}: not valid TOML") from None
        for key in (name, name.lower()):
            if isinstance(values.get(key), str):
                return str(values[key])
    return default
