"""The casavi client: auth, re-auth on 401, retries, idempotent writes, rate limit."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from portal_sync.errors import UserError
from publishers.casavi.api import CasaviClient, RetryPolicy, TokenBucket, credentials
from tests.publishers.loopback import Script, serve

FAST = RetryPolicy(max_retries=3, base_seconds=0.01, cap_seconds=0.05)


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    with serve() as running:
        yield running


def client(url: str, key: str = "k") -> CasaviClient:
    return CasaviClient(url, key, "s", concurrency=4, requests_per_second=1000, retry=FAST)


def test_put_sends_the_token_header_and_is_confirmed(server: tuple[str, Script]) -> None:
    url, script = server
    with client(url) as api:
        result = api.put_json("properties", "O-1000", {"name": "Haus"})
    assert result.ok and result.status == 201
    method, path, token = script.log[-1]
    assert (method, path, token) == ("PUT", "/v2/properties/O-1000", "tok-1")


def test_expired_token_re_authenticates_once(server: tuple[str, Script]) -> None:
    url, script = server
    with client(url) as api:
        assert api.put_json("units", "U-1", {}).ok
        script.expire_tokens()
        assert api.put_json("units", "U-2", {}).ok
    assert script.tokens_issued == 2
    assert [entry[2] for entry in script.log if entry[1] == "/v2/units/U-2"] == ["tok-1", "tok-2"]


def test_wrong_key_is_one_readable_line_without_the_secret(server: tuple[str, Script]) -> None:
    url, _ = server
    with client(url, key="wrong") as api, pytest.raises(UserError) as raised:
        api.put_json("units", "U-1", {})
    assert "refused the API key/secret" in str(raised.value)
    assert "wrong" not in str(raised.value)


def test_unreachable_casavi_is_a_user_error() -> None:
    with serve() as (url, _):
        pass  # the port is closed again
    with CasaviClient(url, "k", "s", retry=RetryPolicy(max_retries=1, base_seconds=0.01)) as api:
        with pytest.raises(UserError, match="unreachable"):
            api.put_json("units", "U-1", {})


def test_429_with_retry_after_and_5xx_are_retried(server: tuple[str, Script]) -> None:
    url, script = server
    script.then("PUT", "/v2/contacts/P-1", (429, 0), 503, 502)
    with client(url) as api:
        result = api.put_json("contacts", "P-1", {"lastName": "Muster"})
    assert result.ok
    assert [entry[1] for entry in script.log].count("/v2/contacts/P-1") == 4
    assert "/v2/contacts/P-1" in script.stored


def test_retries_are_bounded_and_the_error_is_kept(server: tuple[str, Script]) -> None:
    url, script = server
    script.then("PUT", "/v2/contacts/P-2", 500, 500, 500, 500, 500)
    with client(url) as api:
        result = api.put_json("contacts", "P-2", {})
    assert not result.ok and result.status == 500
    assert "after 4 attempts" in (result.error or "")


def test_a_lost_response_is_retried_and_stored_once(server: tuple[str, Script]) -> None:
    url, script = server
    script.then("PUT", "/v2/tickets/T-1", "lose")
    script.then("DELETE", "/v2/tickets/T-1", "lose")
    with client(url) as api:
        put = api.put_json("tickets", "T-1", {"title": "Heizung"})
        assert put.ok and put.status == 200  # the retry replaced what the lost request created
        deleted = api.delete("tickets", "T-1")
    assert deleted.ok and deleted.status == 404  # gone after the lost answer = done
    assert "/v2/tickets/T-1" not in script.stored


def test_client_errors_are_not_retried(server: tuple[str, Script]) -> None:
    url, script = server
    script.then("PUT", "/v2/units/U-9", 400)
    with client(url) as api:
        result = api.put_json("units", "U-9", {})
    assert not result.ok and result.status == 400 and "scripted 400" in (result.error or "")
    assert [entry[1] for entry in script.log].count("/v2/units/U-9") == 1


def test_multipart_upload_is_rewound_for_a_retry(server: tuple[str, Script]) -> None:
    url, script = server
    script.then("PUT", "/v2/documents/D-1", 503)
    content = b"%PDF-1.4 demo" * 100
    with client(url) as api:
        result = api.put_multipart(
            "documents",
            "D-1",
            {"title": "NK 2025"},
            io.BytesIO(content),
            "nk.pdf",
            "application/pdf",
        )
    assert result.ok
    uploads = [
        body
        for body, entry in zip(script.bodies, script.log, strict=True)
        if entry[1] == "/v2/documents/D-1"
    ]
    assert len(uploads) == 2
    assert all(content in body and b'"title": "NK 2025"' in body for body in uploads)


def test_demo_credentials_only_for_loopback(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("CASAVI_KEY", raising=False)
    monkeypatch.delenv("CASAVI_SECRET", raising=False)
    monkeypatch.setenv("PORTAL_SYNC_SECRETS", str(tmp_path / "none.toml"))
    assert credentials("http://127.0.0.1:8700") == ("demo", "demo")
    with pytest.raises(UserError, match="CASAVI_KEY"):
        credentials("https://api.mycasavi.com")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_spaces_requests_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(50, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        bucket.acquire()
    assert clock.now - 100.0 == pytest.approx(99 / 50)


def test_token_bucket_pause_holds_every_worker() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    bucket.pause(2.0)
    bucket.acquire()
    assert clock.now == pytest.approx(102.0)


def test_token_bucket_slows_down_after_429_and_recovers() -> None:
    clock = FakeClock()
    bucket = TokenBucket(50, clock=clock, sleep=clock.sleep)
    bucket.slow_down()
    assert bucket.rate == pytest.approx(45)
    for _ in range(20):
        bucket.slow_down()
    assert bucket.rate == pytest.approx(12.5)  # never below a quarter
    for _ in range(100_000):
        bucket.speed_up()
    assert bucket.rate == pytest.approx(50)  # never above the configured rate
