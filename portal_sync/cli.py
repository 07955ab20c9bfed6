"""The `portal-sync` command line.

Each command parses its options, loads the settings once and hands them to the package
that does the work (imported lazily, so `portal-sync --help` stays fast). Errors a user can
cause end as one readable line and a non-zero exit code.
"""

from __future__ import annotations

import sys
from enum import Enum
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
    typer.Option("--config", "-c", help="Settings file (default: portal-sync.toml or $PORTAL_SYNC_CONFIG)."),
]


def settings_from(config: Path | None) -> Settings:
    """Load the settings once; the callers pass them down."""
    return load_settings(config)


class Scale(str, Enum):
    small = "small"
    medium = "medium"
    large = "large"


@app.command()
def demo(
    scale: Annotated[Scale, typer.Option(help="Size of the demo world.")] = Scale.small,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same world.")] = 42,
    out: Annotated[Path, typer.Option(help="iX-Haus SQLite file to create.")] = Path("demo/ixhaus.sqlite"),
    docuware_state: Annotated[
        Path | None,
        typer.Option(help="DocuWare emulator state to fill (default: docuware.sqlite beside --out)."),
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
    password: Annotated[str, typer.Option(help="Password accepted by the token endpoint.")] = "demo",
) -> None:
    """Serve the DocuWare Platform API emulator (spec/docuware-api.md)."""
    from emulators.docuware.server import serve

    serve(host=host, port=port, state=state, user=user, password=password)


@app.command()
def ingest(
    config: ConfigOption = None,
    docuware_only: Annotated[bool, typer.Option("--docuware-only", help="Only DocuWare metadata.")] = False,
    no_docuware: Annotated[bool, typer.Option("--no-docuware", help="Everything but DocuWare.")] = False,
    full: Annotated[bool, typer.Option("--full", help="Full reconciliation: also remove deleted rows.")] = False,
) -> None:
    """Load iX-Haus, DocuWare metadata and the casavi state into the warehouse."""
    if docuware_only and no_docuware:
        raise UserError("--docuware-only and --no-docuware exclude each other")
    from dlt_pipelines.run import ingest as run_ingest

    settings = settings_from(config)
    report = run_ingest(settings, docuware_only=docuware_only, no_docuware=no_docuware, full=full)
    console.print(report)


def main() -> None:
    """Entry point of the console script: user errors become one line, exit code 1."""
    try:
        app()
    except (UserError, SettingsError) as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(getattr(exc, "exit_code", 1))


if __name__ == "__main__":
    main()
