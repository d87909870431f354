from __future__ import annotations

import pytest


@pytest.fixture(params=["sandbox"])
def his_client(request, settings):
    if request.param == "sandbox":
        from ihospital.integrations.his.sandbox import SandboxHis

        return SandboxHis()
    return request.getfixturevalue("soap_his")
