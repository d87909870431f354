from __future__ import annotations

import pytest


@pytest.fixture(params=["sandbox", "soap"])
def his_client(request, settings):
    if request.param == "sandbox":
        from ihospital.integrations.his.sandbox import SandboxHis

        return SandboxHis()
    return request.getfixturevalue("soap_his")


GATEWAY_PASSWORD = "test-gateway-password"


def gateway_settings(**changes):
    import ipaddress

    from gateway.app import Settings
    from ihospital.integrations.his import simulated

    values = {
        "callers": {"ihospital-app": GATEWAY_PASSWORD},
        "allowed": [ipaddress.ip_network("127.0.0.1/32")],
        "max_bytes": 64 * 1024,
        "tolerance_seconds": 300,
        "rate_per_minute": 100_000,
        "his_backend": simulated.configured,  # the test's own HIS file (settings.HIS_SIM_DATABASE)
    }
    return Settings(**{**values, **changes})


@pytest.fixture(scope="session")
def gateway_server():
    """The real gateway, served over HTTP from a thread of this process (one for the whole run), in
    front of each test's own simulated HIS."""
    from gateway.app import Gateway
    from gateway.server import start_in_thread

    running = start_in_thread(threads=4, app=Gateway(gateway_settings()))
    yield running
    running.stop()


@pytest.fixture
def soap_his(gateway_server, settings):
    from ihospital.integrations.his.soap import SoapHis

    settings.HIS_GATEWAY_URL = gateway_server.url
    settings.HIS_GATEWAY_USERNAME = "ihospital-app"
    settings.HIS_GATEWAY_PASSWORD = GATEWAY_PASSWORD
    settings.HIS_GATEWAY_TRANSPORT = "httpx.HTTPTransport"
    return SoapHis()
