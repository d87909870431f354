import pytest
from huey.contrib.djhuey import HUEY


@pytest.fixture(autouse=True)
def sandbox_in_process(settings):
    """The payment sandbox answers in process: notifications reach the notify view through the test
    client, without retry delays."""
    settings.PAYMENT_SANDBOX_TRANSPORT = "ihospital.integrations.payproviders.sandbox.transport.DjangoClientTransport"
    settings.PAYMENT_SANDBOX_RETRY_FACTOR = 0
    settings.PAYMENT_SANDBOX_REFUND_DELAY_SECONDS = 0
    settings.PUBLIC_BASE_URL = "http://testserver"
    HUEY.flush()
    yield
    HUEY.flush()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``with commit(): ...`` runs what the block scheduled for after commit (outbox, sandbox tasks)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
