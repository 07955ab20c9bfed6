"""DocuWare documents are downloaded as PDF at upload time; a failing download fails its item only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest

from emulators.docuware.store import NewDocument, seed_documents
from portal_sync.settings import Settings
from publishers.casavi.files import FileStore, FileUnavailable
from publishers.casavi.plan import FileRef
from tests.fixtures.emulators import Emulator
from tests.publishers.test_apply import ixhaus_with_document

TOKEN = "POST /DocuWare/Identity/connect/token"
DOWNLOAD = "/DocuWare/Platform/FileCabinets/*/Documents/*/FileDownload"


def pdf(dwdocid: int) -> FileRef:
    return FileRef("docuware", str(dwdocid), f"{dwdocid}.pdf", "application/pdf")


@pytest.fixture
def docuware(tmp_path: Path, start_docuware: Callable[..., Emulator]) -> Emulator:
    state = tmp_path / "docuware.sqlite"
    stamp = datetime(2026, 5, 4, 9, 30)
    seed_documents(
        state,
        [
            NewDocument(
                fields={
                    "DWDOCID": 5,
                    "DWSTOREDATETIME": stamp,
                    "DWMODDATETIME": stamp,
                    "EMPFAENGERID": "4711",
                    "EMPFAENGERTYP": "P",
                    "DOKUMENTNAME": "Nebenkostenabrechnung 2025",
                    "DOKUMENTDATUM": date(2026, 5, 4),
                    "VERTRAGSNR": 1,
                },
                file_name="abrechnung.txt",
                content_type="text/plain",
                content=b"Nebenkostenabrechnung 2025",
            )
        ],
    )
    return start_docuware(state)


@pytest.fixture
def files(
    tmp_path: Path, docuware: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], FileStore]:
    """FileStores on an iX-Haus without DocuWare logins: the emulator's demo/demo is used."""
    monkeypatch.setenv("PORTAL_SYNC_SECRETS", str(tmp_path / "no-secrets.toml"))
    for name in ("DOCUWARE_USERNAME", "DOCUWARE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    ixhaus = ixhaus_with_document(tmp_path / "ix.sqlite", b"%PDF-1.4")
    settings = Settings.model_validate(
        {"ixhaus": {"url": ixhaus.ixhaus.url}, "docuware": {"url": docuware.url}}
    )
    stores: list[FileStore] = []

    def make() -> FileStore:
        stores.append(FileStore(settings))
        return stores[-1]

    yield make  # type: ignore[misc]
    for store in stores:
        store.close()


def read(store: FileStore, ref: FileRef) -> bytes:
    with store.open(ref) as handle:
        return handle.read()


def test_a_docuware_document_is_downloaded_as_pdf_with_one_login(
    files: Callable[[], FileStore], docuware: Emulator
) -> None:
    store = files()
    first, again = read(store, pdf(5)), read(store, pdf(5))
    assert first.startswith(b"%PDF") and first == again
    assert docuware.requests()[TOKEN] == 1


def test_an_expired_token_is_renewed_once(
    files: Callable[[], FileStore], docuware: Emulator
) -> None:
    store = files()
    read(store, pdf(5))
    docuware.set_clock("2099-01-01T00:00:00.000Z")  # the token of the first login expired
    assert read(store, pdf(5)).startswith(b"%PDF")
    assert docuware.requests()[TOKEN] == 2


def test_a_missing_document_fails_its_item_only(
    files: Callable[[], FileStore], docuware: Emulator
) -> None:
    store = files()
    with pytest.raises(FileUnavailable, match=r"DocuWare document 999: FileDownload answered 404"):
        read(store, pdf(999))
    assert read(store, pdf(5)).startswith(b"%PDF")


def test_a_failing_or_dropped_download_fails_its_item_only(
    files: Callable[[], FileStore], docuware: Emulator
) -> None:
    store = files()
    docuware.faults([{"path": DOWNLOAD, "status": 500, "times": 1}])
    with pytest.raises(FileUnavailable, match=r"DocuWare document 5: FileDownload answered 500"):
        read(store, pdf(5))
    docuware.faults([{"path": DOWNLOAD, "lose_response": True, "times": 1}])
    with pytest.raises(FileUnavailable, match=r"DocuWare document 5: download failed"):
        read(store, pdf(5))
    assert read(store, pdf(5)).startswith(b"%PDF")  # the next item is downloaded


def test_refused_credentials_fail_every_item_without_logging_in_again(
    files: Callable[[], FileStore], docuware: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused login is not retried per file: the real DocuWare locks accounts out."""
    monkeypatch.setenv("DOCUWARE_USERNAME", "demo")
    monkeypatch.setenv("DOCUWARE_PASSWORD", "not-the-password")
    store = files()
    for _ in range(3):
        with pytest.raises(FileUnavailable) as refused:
            read(store, pdf(5))
        assert "not-the-password" not in str(refused.value)
    assert docuware.requests()[TOKEN] == 1
