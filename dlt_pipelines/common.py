"""What the three ingest pipelines share: dlt set-up, the DuckDB destination, error unwrapping.

dlt is configured here at run time (never at import): no telemetry, no progress output,
warnings only. Every pipeline writes into the one warehouse file through the connection
that `dlt_pipelines.run` opened, and keeps its working folder in `<warehouse dir>/.dlt`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portal_sync.errors import UserError

if TYPE_CHECKING:
    import duckdb
    from dlt import Pipeline

#: dlt runtime settings the ingest needs; set right before the first pipeline is made.
DLT_RUNTIME_ENV = {
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "RUNTIME__LOG_LEVEL": "ERROR",
    # a failed load job fails the run at once instead of being retried forever
    "LOAD__RAISE_ON_FAILED_JOBS": "true",
    "LOAD__WORKERS": "2",
    # one table after another: one database session at a time, not one per table
    "EXTRACT__NEXT_ITEM_MODE": "fifo",
    # DocuWare documents come as arrow pages but keep the `_dlt_load_id`/`_dlt_id` columns
    # they had as dicts, so warehouses loaded before keep fitting (pipeline-scoped setting)
    "DOCUWARE__NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID": "true",
    "DOCUWARE__NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_ID": "true",
}


def configure_dlt() -> None:
    """Switch off telemetry and progress noise before any pipeline exists."""
    os.environ.update(DLT_RUNTIME_ENV)


def pipelines_dir(warehouse: Path) -> Path:
    """dlt's working folder, kept beside the warehouse so both travel together."""
    return warehouse.parent / ".dlt"


def make_pipeline(
    name: str, dataset: str, con: duckdb.DuckDBPyConnection, warehouse: Path
) -> Pipeline:
    """A dlt pipeline loading into `dataset` of the open warehouse connection.

    Replaces go through a staging dataset and are swapped in one transaction
    (`insert-from-staging`), so a failed full load never leaves a table empty or half
    replaced.
    """
    import dlt

    configure_dlt()
    destination = dlt.destinations.duckdb(credentials=con, replace_strategy="insert-from-staging")
    return dlt.pipeline(
        pipeline_name=name,
        pipelines_dir=str(pipelines_dir(warehouse)),
        destination=destination,
        dataset_name=dataset,
    )


def forget_local_state(warehouse: Path) -> None:
    """Drop dlt's local working state when the warehouse file is gone.

    dlt prefers its local state (cursors) over the destination's; with a deleted warehouse
    that would skip every row loaded before. A fresh warehouse starts from scratch.
    """
    folder = pipelines_dir(warehouse)
    if not warehouse.exists() and folder.exists():
        shutil.rmtree(folder)


def discard_pending(pipeline: Pipeline) -> None:
    """Throw away packages left by a crashed or failed run and restore the cursors they moved."""
    if pipeline.has_pending_data:
        pipeline.abort_packages()


def root_cause(exc: BaseException) -> BaseException:
    """The original error behind dlt's `PipelineStepFailed` and other wrappers."""
    from dlt.pipeline.exceptions import PipelineStepFailed

    seen: set[int] = set()
    current: BaseException = exc
    while id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, PipelineStepFailed):
            current = current.exception
            continue
        nxt = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        if nxt is None:
            break
        if isinstance(current, UserError):
            break
        current = nxt
    return current


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an error message (or its type when it has none)."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def table_rows(pipeline: Pipeline, tables: Iterable[str] | None = None) -> dict[str, int]:
    """Rows the last run of `pipeline` normalised per table (dlt's own tables left out)."""
    trace = pipeline.last_trace
    counts: dict[str, int] = {}
    if trace is not None and trace.last_normalize_info is not None:
        counts = {
            name: int(rows)
            for name, rows in trace.last_normalize_info.row_counts.items()
            if not name.startswith("_dlt")
        }
    for name in tables or ():
        counts.setdefault(name, 0)
    return counts


def describe_table_columns(
    con: duckdb.DuckDBPyConnection, dataset: str, table: str
) -> dict[str, Any]:
    """Column name -> DuckDB type of a warehouse table (empty when it does not exist)."""
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [dataset, table],
    ).fetchall()
    return {name: kind for name, kind in rows}


#: dlt data type → arrow type, for the typed arrow pages of the REST sources (JSON as text)
_ARROW_TYPES = {
    "text": "string",
    "json": "string",
    "bigint": "int64",
    "double": "float64",
    "bool": "bool",
    "date": "date32",
    "timestamp": "timestamp[us]",
}


def arrow_type(kind: str) -> Any:  # pyarrow.DataType
    """The arrow type of a dlt data type (`text`, `json`, `bigint`, `double`, `bool`, `date`, `timestamp`)."""
    import pyarrow as pa

    return pa.type_for_alias(_ARROW_TYPES[kind])
