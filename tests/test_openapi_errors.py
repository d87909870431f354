"""Every operation of both APIs declares its coded error responses in the OpenAPI document (issue 10), so
that clients and the schema-driven fuzzer (tests/test_fuzz_api.py) see them."""

import pytest

from config.api import patient_api, staff_api

ALWAYS = {"400", "401", "403", "404", "409", "413", "415", "422", "429"}


@pytest.mark.parametrize("api", [patient_api, staff_api], ids=["patient", "staff"])
def test_every_operation_declares_the_coded_errors(api):
    document = api.get_openapi_schema()
    assert set(document["components"]["schemas"]["Error"]["required"]) == {"code", "message", "fields"}
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert operations
    for operation in operations:
        declared = set(operation["responses"])
        expected = ALWAYS
        assert expected <= declared, (operation["operationId"], expected - declared)
        for status in expected:
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}
        assert "Retry-After" in operation["responses"]["429"]["headers"]
