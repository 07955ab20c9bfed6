"""`/emulator` controls shared by both emulators: faults, latency, rate limit, requests, clock."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.fixtures.emulators import Emulator


def test_status_fault_with_times_then_normal(casavi: Emulator, api: httpx.Client) -> None:
    casavi.faults(rules=[{"method": "PUT", "path": "/v2/properties/*", "status": 503, "times": 2}])
    for _ in range(2):
        response = api.put("/v2/properties/P-1", json={"name": "x"})
        assert response.status_code == 503
        assert response.json() == {"status": 503, "message": "injected fault 503", "details": []}
    assert api.get("/v2/properties/P-1").status_code == 404  # the faulted PUTs were not applied
    assert api.put("/v2/properties/P-1", json={"name": "x"}).status_code == 201
    assert api.get("/v2/properties/P-1").status_code == 200  # GET does not match the rule


def test_fault_rule_matches_method_and_glob(casavi: Emulator, api: httpx.Client) -> None:
    casavi.faults(rules=[{"path": "/v2/units*", "status": 500}])
    assert api.get("/v2/units").status_code == 500
    assert api.get("/v2/units/E-1").status_code == 500
    assert api.get("/v2/properties").status_code == 200
    assert (
        httpx.get(f"{casavi.base}/emulator/requests").status_code == 200
    )  # controls never faulted


@pytest.mark.parametrize(("probability", "expected"), [(0.0, 200), (1.0, 502)])
def test_fault_probability(
    casavi: Emulator, api: httpx.Client, probability: float, expected: int
) -> None:
    casavi.faults(rules=[{"path": "/v2/*", "status": 502, "probability": probability}])
    assert {api.get("/v2/units").status_code for _ in range(10)} == {expected}


def test_lose_response_applies_the_request_and_drops_the_connection(
    casavi: Emulator, api: httpx.Client
) -> None:
    casavi.faults(
        rules=[{"method": "PUT", "path": "/v2/properties/P-1", "lose_response": True, "times": 1}]
    )
    with pytest.raises(httpx.RemoteProtocolError):
        api.put("/v2/properties/P-1", json={"name": "Haus"})
    stored = api.get("/v2/properties/P-1")
    assert stored.status_code == 200 and stored.json()["name"] == "Haus"  # applied
    again = api.put("/v2/properties/P-1", json={"name": "Haus"})  # the retry is a replace
    assert again.status_code == 200
    assert casavi.requests()["PUT /v2/properties/{id}"] == 2


def test_lose_response_on_docuware(docuware: Emulator, dw: httpx.Client) -> None:
    docuware.faults(rules=[{"path": "/DocuWare/Platform/FileCabinets", "lose_response": True}])
    with pytest.raises(httpx.RemoteProtocolError):
        dw.get("/FileCabinets")


def test_latency_and_delay_rules_slow_requests_down(casavi: Emulator, api: httpx.Client) -> None:
    casavi.faults(latency_ms=1500)
    with pytest.raises(httpx.ReadTimeout):
        api.get("/v2/units", timeout=0.3)
    casavi.faults(rules=[{"path": "/v2/units", "delay_ms": 1500}])
    with pytest.raises(httpx.ReadTimeout):
        api.get("/v2/units", timeout=0.3)
    assert api.get("/v2/properties", timeout=5).status_code == 200  # the delay rule is specific
    casavi.faults()
    assert api.get("/v2/units", timeout=5).status_code == 200


def test_a_request_is_counted_on_arrival_not_after_its_client_gave_up(casavi: Emulator) -> None:
    """A slow request whose client timed out must not show up in the counts after a reset."""
    casavi.faults(latency_ms=1000)
    with casavi.client() as api, pytest.raises(httpx.ReadTimeout):
        api.get("/v2/units", timeout=0.2)
    assert casavi.requests()["GET /v2/units"] == 1  # counted although not answered yet
    casavi.reset()
    time.sleep(1.2)  # the abandoned request finishes on the server meanwhile
    assert casavi.requests() == {}


def test_rate_limit_answers_429_with_retry_after(casavi: Emulator, api: httpx.Client) -> None:
    casavi.faults(rate_limit_per_second=2)
    responses = [api.get("/v2/units") for _ in range(8)]
    limited = [r for r in responses if r.status_code == 429]
    assert limited, [r.status_code for r in responses]
    assert all(int(r.headers["Retry-After"]) >= 1 for r in limited)
    assert limited[0].json()["status"] == 429
    assert {r.status_code for r in responses} <= {200, 429}


def test_docuware_rate_limit_uses_docuware_error_body(docuware: Emulator, dw: httpx.Client) -> None:
    docuware.faults(rate_limit_per_second=1)
    limited = [r for r in (dw.get("/FileCabinets") for _ in range(6)) if r.status_code == 429]
    assert (
        limited and limited[0].json()["StatusCode"] == 429 and "Retry-After" in limited[0].headers
    )


@pytest.mark.parametrize(
    "config",
    [
        {"rules": [{"path": "*"}]},  # no action
        {"rules": [{"path": "*", "status": 500, "lose_response": True}]},  # two actions
        {"rules": [{"path": "*", "status": 200}]},
        {"rules": [{"path": "*", "status": 500, "probability": 2}]},
        {"rules": [{"path": "*", "status": 500, "times": -1}]},
        {"rules": [{"path": "*", "status": 500, "colour": "red"}]},
        {"rules": "all"},
        {"latency_ms": -5},
        {"rate_limit_per_second": 0},
    ],
)
def test_bad_fault_configuration_is_400(casavi: Emulator, config: dict) -> None:
    response = httpx.post(f"{casavi.base}/emulator/faults", json=config)
    assert response.status_code == 400
    assert response.json()["details"]


def test_faults_are_reported_and_cleared_by_reset(casavi: Emulator, api: httpx.Client) -> None:
    described = casavi.faults(
        rules=[{"path": "/v2/*", "status": 500, "times": 3}], latency_ms=0, rate_limit_per_second=50
    )
    assert described["rules"] == [{"method": "*", "path": "/v2/*", "status": 500, "times": 3}]
    api.get("/v2/units")
    assert httpx.get(f"{casavi.base}/emulator/faults").json()["rules"][0]["times"] == 2
    casavi.reset()
    assert httpx.get(f"{casavi.base}/emulator/faults").json() == {
        "rules": [],
        "latency_ms": 0,
        "rate_limit_per_second": None,
    }


def test_requests_are_counted_by_path_template_since_reset(casavi: Emulator) -> None:
    with casavi.client() as api:  # one authenticate
        api.get("/v2/units")
        api.get("/v2/units/E-1")
        api.get("/v2/units/E-2")
        api.put("/v2/units/E-1", json={})
        api.get("/nowhere")
    httpx.post(f"{casavi.base}/community/v1/contacts/K-1/register")
    assert casavi.requests() == {
        "POST /v2/authenticate": 1,
        "GET /v2/units": 1,
        "GET /v2/units/{id}": 2,
        "PUT /v2/units/{id}": 1,
        "GET /nowhere": 1,
        "POST /community/v1/contacts/{id}/register": 1,
    }
    casavi.reset()
    assert casavi.requests() == {}


def test_faulted_requests_are_counted_too(casavi: Emulator, api: httpx.Client) -> None:
    casavi.faults(rules=[{"path": "*", "status": 500}])
    api.get("/v2/units/E-1")
    assert casavi.requests()["GET /v2/units/{id}"] == 1


def test_clock_moves_and_keeps_ticking(casavi: Emulator, api: httpx.Client) -> None:
    moved = casavi.set_clock("2026-06-15T22:30:00.000Z")
    assert moved["now"].startswith("2026-06-15T22:30")
    assert moved["today"] == "2026-06-16"  # Europe/Berlin
    assert casavi.clock()["now"] >= moved["now"]
    created = api.put("/v2/properties/P-1", json={"name": "x"}).json()
    assert created["createdAt"].startswith("2026-06-15T22:30")
    bad = httpx.post(f"{casavi.base}/emulator/clock", json={"now": "soon"})
    assert bad.status_code == 400
    casavi.reset()
    assert not casavi.clock()["now"].startswith("2026-06-15T22:30")


def test_clock_survives_a_restart(casavi: Emulator) -> None:
    casavi.set_clock("2030-01-01T00:00:00.000Z")
    casavi.stop()
    casavi.start()
    assert casavi.clock()["now"].startswith("2030-01-01")


def test_fixture_emulator_starts_fresh(
    casavi_emulator: Emulator, docuware_emulator: Emulator
) -> None:
    """The shared fixtures other areas use: real servers, own state, the documented URLs."""
    assert casavi_emulator.url == casavi_emulator.base
    assert docuware_emulator.url == f"{docuware_emulator.base}/DocuWare/Platform"
    assert casavi_emulator.state.exists() and docuware_emulator.state.exists()
    with casavi_emulator.client() as api:
        assert api.get("/v2/properties").json() == {"list": [], "_links": {}}
    with docuware_emulator.client() as dw:
        assert [c["Name"] for c in dw.get("/FileCabinets").json()["FileCabinet"]] == [
            "Archiv",
            "Briefkorb",
        ]
