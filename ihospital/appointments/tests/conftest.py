import pytest
from huey.contrib.djhuey import HUEY


@pytest.fixture(autouse=True)
def no_leftover_tasks():
    """Delayed tasks (hold expiry) stay in huey's memory in immediate mode; no test inherits another's."""
    HUEY.flush()
    yield
    HUEY.flush()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``with commit(): ...`` runs what the block scheduled for after commit (outbox, sandbox tasks)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
