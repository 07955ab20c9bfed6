"""`portal-sync ingest`: iX-Haus, DocuWare metadata and the casavi state into the warehouse.

`ingest()` takes the run lock; `ingest_unlocked()` is the same without it, for `sync`, which
holds the lock itself. One DuckDB connection per run, shared by the three dlt pipelines
(datasets `raw_ixhaus`, `raw_docuware`, `raw_casavi` = the dbt source names); dlt's working
folder is `<warehouse dir>/.dlt`. The run is recorded in the protocol (command `ingest`)
with rows per table in `portal_sync.ingest_tables`.

A source runs full (replace, removes deleted rows) on `--full`, on its first run and when
its last full run is older than `FULL_EVERY`; `portal_sync.ingest_full_runs` remembers.
Any failure ends as one `UserError` line; the failing source's tables stay as they were
(loads go through staging and merge/replace in transactions), earlier sources stay loaded.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlt_pipelines import casavi, common, docuware, ixhaus
from dlt_pipelines.http import Http
from portal_sync import protocol
from portal_sync.errors import UserError
from portal_sync.protocol import SCHEMA, now
from portal_sync.runlock import run_lock
from portal_sync.settings import Settings
from portal_sync.warehouse import connect

if TYPE_CHECKING:
    import duckdb
    from rich.console import RenderableType
    from sqlalchemy.engine import Engine

FULL_EVERY = timedelta(hours=24)
SOURCES = ("ixhaus", "docuware", "casavi")
DATASETS = {"ixhaus": ixhaus.DATASET, "docuware": docuware.DATASET, "casavi": casavi.DATASET}
STAGE = "ingest"

INGEST_DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.ingest_tables (
    run_id bigint not null,
    dataset text not null,          -- raw_ixhaus, raw_docuware, raw_casavi
    table_name text not null,
    rows bigint not null,           -- rows loaded by this run (incremental: changed rows)
    is_full boolean not null,       -- the table was replaced (full reconciliation)
    seconds double,                 -- wall time of the whole source
    loaded_at timestamp not null    -- UTC
);
create table if not exists {SCHEMA}.ingest_full_runs (
    dataset text not null,
    run_id bigint,
    finished_at timestamp not null  -- UTC; a source runs full again FULL_EVERY later
);
"""


@dataclass
class SourceResult:
    source: str
    dataset: str
    full: bool
    seconds: float
    rows: dict[str, int]


@dataclass
class IngestReport:
    """What one ingest loaded; printable with rich."""

    run_id: int
    results: list[SourceResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(sum(result.rows.values()) for result in self.results)

    def counts(self) -> dict[str, int]:
        """Protocol counts: `ingest.<dataset>.<table>.rows`."""
        return {
            f"{STAGE}.{result.dataset}.{table}.rows": rows
            for result in self.results
            for table, rows in sorted(result.rows.items())
        }

    def __rich__(self) -> RenderableType:
        from rich.table import Table

        table = Table(title=f"ingest (run {self.run_id})", title_justify="left")
        table.add_column("source")
        table.add_column("table")
        table.add_column("rows", justify="right")
        table.add_column("seconds", justify="right")
        for result in self.results:
            mode = "full" if result.full else "incremental"
            for name, rows in sorted(result.rows.items()):
                table.add_row(result.source, name, str(rows), "")
            table.add_row(
                f"[bold]{result.source}[/]",
                f"[bold]({mode})[/]",
                f"[bold]{sum(result.rows.values())}[/]",
                f"[bold]{result.seconds:.1f}[/]",
                end_section=True,
            )
        for reason in self.skipped:
            table.add_row("", f"[dim]{reason}[/]", "", "")
        return table


def ingest(
    settings: Settings,
    *,
    docuware_only: bool = False,
    no_docuware: bool = False,
    full: bool = False,
) -> IngestReport:
    """Take the run lock (command `ingest`) and ingest; see `ingest_unlocked`."""
    with run_lock(settings.warehouse_path, "ingest"):
        return ingest_unlocked(
            settings, docuware_only=docuware_only, no_docuware=no_docuware, full=full
        )


def _options(docuware_only: bool, no_docuware: bool, full: bool) -> str:
    flags = [("--docuware-only", docuware_only), ("--no-docuware", no_docuware), ("--full", full)]
    return " ".join(flag for flag, on in flags if on)


def ingest_unlocked(
    settings: Settings,
    *,
    docuware_only: bool = False,
    no_docuware: bool = False,
    full: bool = False,
    run_id: int | None = None,
    sources: tuple[str, ...] | None = None,
) -> IngestReport:
    """Ingest without taking the run lock (the caller holds it).

    Args:
        docuware_only: only DocuWare metadata (the original's `-DwSyncOnly`).
        no_docuware: everything but DocuWare (`-NoDwSync`).
        full: full reconciliation of every source read.
        run_id: a protocol run of the caller (`sync`) to record into; None = record an own
            `ingest` run.
        sources: only these of `SOURCES` (still subject to the flags above).

    Raises:
        UserError: one line naming the source and the reason; recorded in the protocol.
    """
    if docuware_only and no_docuware:
        raise UserError("--docuware-only and --no-docuware exclude each other")
    warehouse = settings.warehouse_path
    common.forget_local_state(warehouse)
    chosen: list[str] = []
    skipped: list[str] = []
    if not docuware_only:
        chosen.append("ixhaus")
    if no_docuware:
        skipped.append("DocuWare skipped (--no-docuware)")
    elif not settings.docuware.enabled:
        skipped.append("DocuWare skipped (docuware.enabled = false)")
    else:
        chosen.append("docuware")
    if not docuware_only:
        chosen.append("casavi")
    if sources is not None:
        unknown = set(sources) - set(SOURCES)
        if unknown:
            raise ValueError(f"unknown ingest sources: {sorted(unknown)}")
        chosen = [name for name in chosen if name in sources]

    with connect(warehouse) as con:
        con.execute(INGEST_DDL)
        own_run = run_id is None
        if run_id is None:
            run_id = protocol.start_run(con, "ingest", _options(docuware_only, no_docuware, full))
        report = IngestReport(run_id=run_id, skipped=skipped)
        context = _Context(settings=settings, con=con, warehouse=warehouse, run_id=run_id)
        current = ""
        try:
            context.start_readers(chosen, full)
            for current in chosen:
                report.results.append(context.run(current, full))
        except Exception as exc:
            message = _readable(exc, current)
            protocol.record_error(con, run_id, STAGE, current, message)
            if own_run:
                protocol.finish_run(con, run_id, "failed", report.counts(), message)
            raise UserError(message) from None
        finally:
            context.close()
        if own_run:
            protocol.finish_run(con, run_id, "success", report.counts())
    return report


def _readable(exc: BaseException, source: str) -> str:
    from dlt.extract.incremental.exceptions import IncrementalCursorPathHasValueNone

    cause = common.root_cause(exc)
    if isinstance(cause, UserError):
        return str(cause)
    if isinstance(cause, IncrementalCursorPathHasValueNone):
        return (
            f"iX-Haus table {cause.pipe_name}: a row has no {cause.json_path} "
            "(the contract requires it on every row; fix the view)"
        )
    return f"ingest of {source} failed: {type(cause).__name__}: {common.first_line(cause)}"


def _import_before_threads() -> None:
    """Import what the readers and the loads use before any reader thread starts.

    Two threads importing pyarrow at once can see it partially initialised. dlt's runtime
    settings (log level, telemetry) are set first, so dlt never starts with its defaults.
    """
    common.configure_dlt()
    import dlt.sources.sql_database  # noqa: F401
    import pyarrow.compute  # noqa: F401


class _Reader:
    """One source's HTTP read on its own thread (no warehouse access there).

    The REST sources are read while iX-Haus loads (DuckDB has one writer: reads run in
    parallel, loads one after another in the main thread). An error is kept and raised when
    the main thread reaches the source, so failures surface in the usual source order.
    """

    def __init__(self, name: str, read: Callable[[Callable[[], bool]], Any]) -> None:
        self.name = name
        self.started_at = now()
        self.seconds = 0.0
        self._read = read
        self._stop = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"ingest-{name}", daemon=True)
        self._thread.start()

    @classmethod
    def failed(cls, name: str, error: BaseException) -> _Reader:
        """A reader whose set-up failed: `result()` raises `error`."""
        reader = cls.__new__(cls)
        reader.name, reader.started_at, reader.seconds = name, now(), 0.0
        reader._stop, reader._value, reader._error = threading.Event(), None, error
        reader._thread = None  # type: ignore[assignment]
        return reader

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            self._value = self._read(self._stop.is_set)
        except BaseException as exc:  # kept for the main thread
            self._error = exc
        finally:
            self.seconds = time.perf_counter() - started

    def result(self) -> Any:
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value

    def cancel(self) -> None:
        """Stop after the current page and wait for the thread (at most one request)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


@dataclass
class _Context:
    settings: Settings
    con: duckdb.DuckDBPyConnection
    warehouse: Path
    run_id: int
    _engine: Engine | None = None
    _full: dict[str, bool] = field(default_factory=dict)
    _readers: dict[str, _Reader] = field(default_factory=dict)
    _casavi_cursors: dict[str, str | None] = field(default_factory=dict)

    def close(self) -> None:
        for reader in self._readers.values():
            reader.cancel()
        self._readers.clear()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            url = self.settings.ixhaus_url
            self._engine = ixhaus.open_engine(url)
        return self._engine

    def start_readers(self, chosen: list[str], full: bool) -> None:
        """Decide full/incremental per source, then start the REST reads on threads."""
        for source in chosen:
            is_full = full or self._full_due(DATASETS[source])
            if source == "casavi":
                casavi.ensure(self.con)
                is_full = is_full or casavi.last_complete_cursors(self.con) is None
            self._full[source] = is_full
        starters = {"docuware": self._start_docuware, "casavi": self._start_casavi}
        if any(source in starters for source in chosen):
            _import_before_threads()
        for source in chosen:
            if source in starters:
                try:
                    self._readers[source] = starters[source](self._full[source])
                except Exception as exc:  # raised when the run reaches this source
                    self._readers[source] = _Reader.failed(source, exc)

    def run(self, source: str, full: bool) -> SourceResult:
        runners: dict[str, Callable[[bool], dict[str, int]]] = {
            "ixhaus": self._ixhaus,
            "docuware": self._docuware,
            "casavi": self._casavi,
        }
        dataset = DATASETS[source]
        is_full = self._full[source] if source in self._full else full or self._full_due(dataset)
        started = time.perf_counter()
        rows = runners[source](is_full)
        seconds = time.perf_counter() - started
        reader = self._readers.get(source)
        if reader is not None:  # read on its thread, then loaded here
            seconds += reader.seconds
        stamp = now()
        self.con.executemany(
            f"insert into {SCHEMA}.ingest_tables values (?, ?, ?, ?, ?, ?, ?)",
            [
                [self.run_id, dataset, table, count, is_full, seconds, stamp]
                for table, count in sorted(rows.items())
            ],
        )
        if is_full:
            self.con.execute(
                f"insert into {SCHEMA}.ingest_full_runs values (?, ?, ?)",
                [dataset, self.run_id, stamp],
            )
        return SourceResult(
            source=source, dataset=dataset, full=is_full, seconds=seconds, rows=rows
        )

    def _full_due(self, dataset: str) -> bool:
        row = self.con.execute(
            f"select max(finished_at) from {SCHEMA}.ingest_full_runs where dataset = ?", [dataset]
        ).fetchone()
        last = row[0] if row else None
        return last is None or now() - last > FULL_EVERY

    def _load(self, name: str, dataset: str, source: Any, tables: list[str]) -> dict[str, int]:
        pipeline = common.make_pipeline(name, dataset, self.con, self.warehouse)
        common.discard_pending(pipeline)
        try:
            pipeline.run(source, loader_file_format="parquet")
        except Exception:
            with contextlib.suppress(Exception):  # the original error matters more
                common.discard_pending(pipeline)
            raise
        return common.table_rows(pipeline, tables)

    def _ixhaus(self, full: bool) -> dict[str, int]:
        engine = self.engine
        ixhaus.check_contract(engine, self.settings.ixhaus_url)
        tables = list(ixhaus.ixhaus_schema.READ_TABLES)
        source = ixhaus.ixhaus_source(engine, full=full)
        if not full:  # load only the tables with changes; none changed: no dlt run
            changed = ixhaus.changed_tables(engine, self.con)
            if not changed:
                return dict.fromkeys(tables, 0)
            source = source.with_resources(*changed)
        return self._load(ixhaus.PIPELINE, ixhaus.DATASET, source, tables)

    def _start_docuware(self, full: bool) -> _Reader:
        settings = self.settings.docuware
        username, password = docuware.credentials(self.engine, self.settings)
        since, skip = docuware.start_point(self.con, full)

        def read(cancelled: Callable[[], bool]) -> docuware.DocumentPages:
            with Http("DocuWare") as http:
                client = docuware.DocuWareClient(settings.url, username, password, http)
                return docuware.read_documents(
                    client,
                    cabinet_name=settings.file_cabinet,
                    page_size=settings.page_size,
                    since=since,
                    skip=skip,
                    cancelled=cancelled,
                )

        return _Reader("docuware", read)

    def _docuware(self, full: bool) -> dict[str, int]:
        documents_read = self._readers["docuware"].result()
        tables = ["documents", "document_types"]
        if documents_read.rows == 0 and not full and self._tables_exist(docuware.DATASET, tables):
            return dict.fromkeys(tables, 0)  # nothing changed: no load
        source = docuware.docuware_source(
            documents_read,
            full=full,
            known_types=docuware.known_document_types(self.con),
            now=now(),
        )
        return self._load(
            docuware.PIPELINE, docuware.DATASET, source, ["documents", "document_types"]
        )

    def _start_casavi(self, full: bool) -> _Reader:
        settings = self.settings.casavi
        cursors = casavi.last_complete_cursors(self.con) or {}
        self._casavi_cursors = cursors
        key, api_secret = casavi.credentials(settings.url)

        def read(cancelled: Callable[[], bool]) -> casavi.CasaviSnapshot:
            http = Http(
                "casavi",
                timeout=settings.timeout_seconds,
                max_retries=settings.max_retries,
                requests_per_second=settings.requests_per_second,
            )
            with http:
                reader = casavi.CasaviReader(settings.url, key, api_secret, http)
                return casavi.read_snapshot(reader, full=full, cursors=cursors, cancelled=cancelled)

        return _Reader("casavi", read)

    def _casavi(self, full: bool) -> dict[str, int]:
        reader = self._readers["casavi"]
        snapshot_id = casavi.start_snapshot(self.con, self.run_id, full, reader.started_at)
        tables = [casavi.table_name(c) for c in casavi.COLLECTIONS]
        try:
            snapshot = reader.result()
            casavi.drop_unchanged(self.con, snapshot, self._casavi_cursors)
            unchanged = not snapshot.is_full and snapshot.rows == 0
            if unchanged and self._tables_exist(casavi.DATASET, tables):
                rows = dict.fromkeys(tables, 0)  # nothing changed: no load
            else:
                casavi.mark_touched(self.con, snapshot_id)
                rows = self._load(
                    casavi.PIPELINE, casavi.DATASET, casavi.casavi_source(snapshot), tables
                )
        except Exception as exc:
            casavi.finish_snapshot(self.con, snapshot_id, "failed", error=_readable(exc, "casavi"))
            raise
        casavi.finish_snapshot(
            self.con, snapshot_id, "complete", rows=snapshot.read, cursors=snapshot.cursors
        )
        return rows

    def _tables_exist(self, dataset: str, tables: list[str]) -> bool:
        row = self.con.execute(
            "select count(distinct table_name) from information_schema.tables "
            "where table_schema = ? and list_contains(?, table_name)",
            [dataset, tables],
        ).fetchone()
        return bool(row and row[0] == len(set(tables)))
