"""SQLite refuses a DELETE of a medical record or a version too, whoever issues it (PostgreSQL has refused
since 0002): row triggers that abort the statement. The test suite's flush between transactional tests,
which on SQLite is a ``DELETE FROM`` per table, lifts the ``*_no_delete`` triggers for its own transaction
only (the root conftest); ``ihospital manage flush`` of a database holding records is refused, as it
should be.
"""

from django.db import migrations

TABLES = ("records_medicalrecord", "records_recordversion")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'record.not_deletable: medical records are never deleted ({table})'); END;"
            )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


class Migration(migrations.Migration):
    dependencies = [("records", "0003_templates_and_phrases")]

    operations = [migrations.RunPython(forwards, backwards)]
