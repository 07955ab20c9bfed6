"""One emulator server per test module (reset before each test) keeps this suite fast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from emulators.common import MAX_FILE_ENV
from tests.fixtures.emulators import Emulator, run_casavi, run_docuware

# A small upload limit, so 413 is tested without 100 MB bodies.
SMALL_LIMIT = 4096


@pytest.fixture(scope="module")
def casavi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    state = Path(tmp_path_factory.mktemp("casavi")) / "casavi.sqlite"
    emulator = run_casavi(state, env={MAX_FILE_ENV: str(SMALL_LIMIT)})
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def casavi(casavi_server: Emulator) -> Emulator:
    """The module's casavi emulator, reset (no data, faults, tokens; real clock)."""
    casavi_server.start()  # in case a test stopped it
    casavi_server.reset()
    return casavi_server


@pytest.fixture
def api(casavi: Emulator) -> Iterator[httpx.Client]:
    """An authenticated client of the casavi API."""
    with casavi.client() as client:
        yield client


@pytest.fixture(scope="module")
def docuware_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    state = Path(tmp_path_factory.mktemp("docuware")) / "docuware.sqlite"
    emulator = run_docuware(state, env={MAX_FILE_ENV: str(64 * 1024)})
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def docuware(docuware_server: Emulator) -> Emulator:
    """The module's DocuWare emulator, reset (no documents, faults, tokens)."""
    docuware_server.start()
    docuware_server.reset()
    return docuware_server


@pytest.fixture
def dw(docuware: Emulator) -> Iterator[httpx.Client]:
    """An authenticated client of the DocuWare Platform API."""
    with docuware.client() as client:
        yield client
