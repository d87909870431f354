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


@pytest.fixture(autouse=True, scope="session")
def flush_past_the_sqlite_delete_guards():
    """Between transactional tests Django empties the SQLite test database with a ``DELETE FROM`` per table,
    which the clinical tables' ``*_no_delete`` triggers refuse (records 0004, signatures 0002). The flush
    lifts them and puts them back in its own transaction; every other statement still meets them.
    (PostgreSQL's flush is TRUNCATE, which row triggers do not see.)"""
    from django.db.backends.base.operations import BaseDatabaseOperations

    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        if self.connection.vendor != "sqlite":
            return original(self, sql_list)
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name GLOB '*_no_delete'")
            guards = cursor.fetchall()
        lifted = [f'DROP TRIGGER "{name}"' for name, _sql in guards]
        return original(self, [*lifted, *sql_list, *(sql for _name, sql in guards)])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseDatabaseOperations, "execute_sql_flush", execute_sql_flush)
        yield


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits and sandbox fault switches live in the cache; no test sees another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _isolated_var_dir(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def payment_sandbox_in_process(settings):
    """The payment sandbox answers in process: its notifications reach the notify view through the test
    client (no sockets), without retry delays. Browser tests switch back to real HTTP."""
    settings.PAYMENT_SANDBOX_TRANSPORT = "ihospital.core.http.InProcessTransport"
    settings.PAYMENT_SANDBOX_RETRY_FACTOR = 0
    settings.PAYMENT_SANDBOX_REFUND_DELAY_SECONDS = 0
    settings.PUBLIC_BASE_URL = "http://testserver"


@pytest.fixture(autouse=True)
def http_retries_without_waiting(settings):
    """ihospital.core.http retries safe calls as in production, without the backoff's sleeps."""
    settings.HTTP_RETRY_BACKOFF_SECONDS = 0


@pytest.fixture
def admin_client_for(db, client):
    """A Django test client signed in as a back-office user of ``role``."""
    from ihospital.core.testing.personas import make_user

    def sign_in(role: str):
        user = make_user(f"bo_{role}", role)
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2's deliberate slowness protects real passwords; tests only need the behaviour."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def _his_sim_template(tmp_path_factory):
    """The simulated HIS seeded once per run; each test gets its own copy (its writes stay its own)."""
    from ihospital.integrations.his.simulated import SimulatedHis

    path = tmp_path_factory.mktemp("his") / "template.sqlite3"
    SimulatedHis(path).ensure()
    return path


@pytest.fixture(autouse=True)
def his_sim(settings, tmp_path, _his_sim_template):
    """The simulated HIS of this test: a fresh copy of the seeded file, answering without delay."""
    import shutil

    from ihospital.integrations.his.simulated import SimulatedHis

    path = tmp_path / "his-sim.sqlite3"
    shutil.copyfile(_his_sim_template, path)
    settings.HIS_SIM_DATABASE = path
    settings.HIS_SIM_LATENCY_SECONDS = 0
    settings.HIS_SIM_REPORT_DELAY_SECONDS = 0
    return SimulatedHis(path)


@pytest.fixture(autouse=True)
def fast_signing_keys(settings):
    """scrypt's cost protects real signing PINs; tests only need the behaviour (the envelope keeps its
    cost, so a key wrapped here opens the same way). The built-in CA answers without its simulated delay."""
    settings.CA_KEY_SCRYPT_N = 2**10
    settings.CA_SANDBOX_LATENCY_SECONDS = 0


@pytest.fixture(autouse=True)
def his_push_in_process(settings):
    """Lab results: the simulated HIS's pushes reach the app's inbound endpoint through the test client."""
    settings.HIS_PUSH_TRANSPORT = "ihospital.core.http.InProcessTransport"
    settings.HIS_PUSH_URL = "http://testserver/his/push/reports/"
    settings.HIS_PUSH_SECRET = "test-his-push-secret"
