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


def _clinical_guards(connection) -> tuple[list[str], list[str]]:
    """(statements lifting, statements restoring) the database's guards against emptying clinical tables:
    SQLite's ``*_no_delete`` row triggers (its flush is a DELETE FROM per table), PostgreSQL's
    ``*_no_truncate`` statement triggers (its flush is TRUNCATE, which row triggers do not see)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name GLOB '*_no_delete'")
            guards = cursor.fetchall()
            return [f'DROP TRIGGER "{name}"' for name, _sql in guards], [sql for _name, sql in guards]
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE '%%\\_no\\_truncate'"
            )
            guards = cursor.fetchall()
            alter = 'ALTER TABLE "{}" {} TRIGGER "{}"'
            return [alter.format(t, "DISABLE", g) for t, g in guards], [alter.format(t, "ENABLE", g) for t, g in guards]
    return [], []


@pytest.fixture(autouse=True, scope="session")
def flush_past_the_clinical_guards():
    """Between transactional tests Django empties the test database (``flush``), which the clinical tables'
    guards refuse (records 0004/0005, signatures 0002/0003), as they refuse ``manage flush``. Only that
    teardown flush lifts them, inside its own transaction; every other statement, a test's own
    ``call_command("flush")`` included, still meets them."""
    from django.db.backends.base.operations import BaseDatabaseOperations
    from django.test import TransactionTestCase

    original_flush = BaseDatabaseOperations.execute_sql_flush
    original_teardown = TransactionTestCase._fixture_teardown
    tearing_down = [False]

    def _fixture_teardown(self):
        tearing_down[0] = True
        try:
            return original_teardown(self)
        finally:
            tearing_down[0] = False

    def execute_sql_flush(self, sql_list):
        if not tearing_down[0]:
            return original_flush(self, sql_list)
        lift, restore = _clinical_guards(self.connection)
        return original_flush(self, [*lift, *sql_list, *restore])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseDatabaseOperations, "execute_sql_flush", execute_sql_flush)
        patch.setattr(TransactionTestCase, "_fixture_teardown", _fixture_teardown)
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
