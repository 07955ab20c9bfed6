"""The `portal-sync` command line.

Each command parses its options, loads the settings once and hands them to the package
that does the work (imported lazily, so `portal-sync --help` stays fast). Errors a user can
cause end as one readable line and a non-zero exit code.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from portal_sync.errors import UserError
from portal_sync.settings import Settings, SettingsError, load_settings

app = typer.Typer(
    name="portal-sync",
    help="Sync iX-Haus (and DocuWare) with the casavi portal, and portal data back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
emulate_app = typer.Typer(help="Run a local emulator of casavi or DocuWare.", no_args_is_help=True)
app.add_typer(emulate_app, name="emulate")

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Settings file (default: portal-sync.toml or $PORTAL_SYNC_CONFIG)."
    ),
]

DocuwareOnlyOption = Annotated[
    bool, typer.Option("--docuware-only", help="Only DocuWare documents (A3).")
]
NoDocuwareOption = Annotated[
    bool, typer.Option("--no-docuware", help="Everything but DocuWare documents (A3).")
]
FullOption = Annotated[
    bool, typer.Option("--full", help="Full reconciliation: also remove deleted rows.")
]


def settings_from(config: Path | None) -> Settings:
    """Load the settings once; the callers pass them down."""
    return load_settings(config)


class Scale(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"


@app.command()
def demo(
    scale: Annotated[Scale, typer.Option(help="Size of the demo world.")] = Scale.small,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same world.")
    ] = 42,
    out: Annotated[Path, typer.Option(help="iX-Haus SQLite file to create.")] = Path(
        "demo/ixhaus.sqlite"
    ),
    docuware_state: Annotated[
        Path | None,
        typer.Option(
            help="DocuWare emulator state to fill (default: docuware.sqlite beside --out)."
        ),
    ] = None,
) -> None:
    """Create the demo iX-Haus database (and the DocuWare emulator's documents)."""
    from portal_sync.demo.world import generate

    summary = generate(scale.value, seed, out, docuware_state or out.with_name("docuware.sqlite"))
    console.print(summary)


@emulate_app.command("casavi")
def emulate_casavi(
    port: Annotated[int, typer.Option(help="Loopback port.")] = 8700,
    state: Annotated[Path, typer.Option(help="SQLite file holding the emulator's state.")] = Path(
        "demo/casavi.sqlite"
    ),
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    key: Annotated[str, typer.Option(help="API key accepted by /v2/authenticate.")] = "demo",
    secret: Annotated[str, typer.Option(help="API secret accepted by /v2/authenticate.")] = "demo",
) -> None:
    """Serve the casavi API emulator (spec/casavi-api.md)."""
    from emulators.casavi.server import serve

    serve(host=host, port=port, state=state, key=key, secret=secret)


@emulate_app.command("docuware")
def emulate_docuware(
    port: Annotated[int, typer.Option(help="Loopback port.")] = 8701,
    state: Annotated[Path, typer.Option(help="SQLite file holding the emulator's state.")] = Path(
        "demo/docuware.sqlite"
    ),
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    user: Annotated[str, typer.Option(help="User name accepted by the token endpoint.")] = "demo",
    password: Annotated[
        str, typer.Option(help="Password accepted by the token endpoint.")
    ] = "demo",
) -> None:
    """Serve the DocuWare Platform API emulator (spec/docuware-api.md)."""
    from emulators.docuware.server import serve

    serve(host=host, port=port, state=state, user=user, password=password)


@app.command()
def ingest(
    config: ConfigOption = None,
    docuware_only: DocuwareOnlyOption = False,
    no_docuware: NoDocuwareOption = False,
    full: FullOption = False,
) -> None:
    """Load iX-Haus, DocuWare metadata and the casavi state into the warehouse."""
    if docuware_only and no_docuware:
        raise UserError("--docuware-only and --no-docuware exclude each other")
    from dlt_pipelines.run import ingest as run_ingest

    settings = settings_from(config)
    report = run_ingest(settings, docuware_only=docuware_only, no_docuware=no_docuware, full=full)
    console.print(report)


@app.command()
def catalog(config: ConfigOption = None) -> None:
    """List the DocuWare document types seen (B6) and whether each is released."""
    from dlt_pipelines.docuware import print_catalogue

    print_catalogue(settings_from(config), console)


# --- sync, plan, status, run (issue 6: publish to casavi) ---------------------------------
WithEmulators = Annotated[
    bool,
    typer.Option(
        "--with-emulators",
        help="Embedded demo: build the demo world if missing and run the loopback emulators for this run.",
    ),
]


def _services(settings: Settings, with_emulators: bool):  # type: ignore[no-untyped-def]
    """The emulators around one run (`--with-emulators`), or nothing."""
    if not with_emulators:
        return None
    from portal_sync import demo_env

    demo_env.ensure_world(settings, console)
    return lambda: demo_env.emulators(settings, console)


@app.command()
def sync(
    config: ConfigOption = None,
    docuware_only: DocuwareOnlyOption = False,
    no_docuware: NoDocuwareOption = False,
    full: FullOption = False,
    force: Annotated[
        bool, typer.Option("--force", help="Publish even when the plan deletes many items (F2).")
    ] = False,
    with_emulators: WithEmulators = False,
) -> None:
    """One run: ingest → dbt build → publish to casavi → write-back to iX-Haus."""
    from portal_sync.sync import SyncOptions
    from portal_sync.sync import sync as run_sync

    options = SyncOptions(
        docuware_only=docuware_only, no_docuware=no_docuware, full=full, force=force
    )
    settings = settings_from(config)
    result = run_sync(settings, options, console, _services(settings, with_emulators))
    raise typer.Exit(result.exit_code)


@app.command()
def plan(
    config: ConfigOption = None,
    details: Annotated[
        bool, typer.Option("--details", help="List every item, not only the counts.")
    ] = False,
    with_emulators: WithEmulators = False,
) -> None:
    """What the next sync would create, update and delete (D4); exit 0 = none, 2 = changes."""
    from portal_sync.sync import plan as show_plan

    settings = settings_from(config)
    raise typer.Exit(show_plan(settings, console, details, _services(settings, with_emulators)))


@app.command()
def status(
    config: ConfigOption = None,
    last: Annotated[int, typer.Option(help="How many runs to show.")] = 10,
) -> None:
    """Last runs, whether syncs stopped running, and stuck items (A5, A6)."""
    from portal_sync.sync import status as show_status

    raise typer.Exit(show_status(settings_from(config), console, last))


@app.command()
def run(
    config: ConfigOption = None,
    every: Annotated[
        int | None, typer.Option(help="Seconds between syncs (default: schedule.every_seconds).")
    ] = None,
    docuware_only: DocuwareOnlyOption = False,
    no_docuware: NoDocuwareOption = False,
    with_emulators: WithEmulators = False,
) -> None:
    """Sync again and again (A4), never two at once; Ctrl-C stops."""
    from portal_sync.sync import SyncOptions, run_loop

    options = SyncOptions(docuware_only=docuware_only, no_docuware=no_docuware)
    settings = settings_from(config)
    seconds = every or settings.schedule.every_seconds
    raise typer.Exit(
        run_loop(settings, options, console, seconds, _services(settings, with_emulators))
    )


# --- dbt: build, why (D3), delivery-route (E1-E3) -----------------------------------------


@app.command()
def build(
    config: ConfigOption = None,
    select: Annotated[
        list[str] | None, typer.Option("--select", "-s", help="dbt selection (repeatable).")
    ] = None,
    unit_tests: Annotated[
        bool, typer.Option("--unit-tests", help="Also run the dbt unit tests of the rules.")
    ] = False,
) -> None:
    """Build the dbt models (desired state, plan, write-back sets) in the warehouse."""
    from portal_sync.dbt import build as dbt_build

    settings = settings_from(config)
    outcome = dbt_build(settings, select=select, unit_tests=unit_tests)
    console.print(f"dbt build: {len(outcome.statuses)} nodes ok ({settings.warehouse_path})")


@app.command()
def why(
    kind: Annotated[
        str, typer.Argument(help="object, unit, person, document, ticket, note, media, …")
    ],
    entity_id: Annotated[str, typer.Argument(help="iX-Haus id (object number for objects).")],
    config: ConfigOption = None,
) -> None:
    """Why is an entity not in the portal? Prints its reason, or that it is synced (D3)."""
    from portal_sync.dbt import why as explain

    row = explain(settings_from(config), kind, entity_id)
    label = f" ({row['entity_label']})" if row.get("entity_label") else ""
    name = f"{row['entity_kind']} {row['entity_id']}{label}"
    if row["is_synced"]:
        console.print(f"{escape(name)}: synced")
    else:
        console.print(f"{escape(name)}: not synced — {row['reason_code']}")
        console.print(f"  de: {escape(str(row['reason_text_de']))}")
        console.print(f"  en: {escape(str(row['reason_text_en']))}")


@app.command("delivery-route")
def delivery_route(
    templates: Annotated[str, typer.Option("--templates", help="Template ids, e.g. 1,2.")],
    persons: Annotated[
        str | None, typer.Option("--persons", help="Person ids (default: the letters' recipients).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """The delivery route per person for serial letters of these templates, and the hint (E1-E3)."""
    from portal_sync.dbt import delivery_routes

    report = delivery_routes(settings_from(config), templates, persons)
    for person_id, route in report.routes:
        console.print(f"person {person_id}: {route}")
    if report.hint:
        console.print(escape(report.hint), soft_wrap=True)


def main() -> None:
    """Entry point of the console script: user errors become one line, exit code 1."""
    try:
        app()
    except (UserError, SettingsError) as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(getattr(exc, "exit_code", 1))


if __name__ == "__main__":
    main()
