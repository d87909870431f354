"""Suite-wide fixtures. Personas live in ihospital.core.testing.personas."""

import pytest
from django.core.cache import cache

pytest_plugins = ["ihospital.core.testing.personas"]


@pytest.fixture(autouse=True, scope="session")
def huey_runs_tasks_inline():
    """Tasks enqueued after commit run in the test's own thread (huey's immediate mode)."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield
    HUEY.immediate = False


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits and sandbox fault switches live in the cache; no test sees another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _isolated_var_dir(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
