"""PostgreSQL refuses a TRUNCATE of the medical records and their versions (what ``manage flush`` runs
there), which row DELETE triggers do not see: statement triggers. SQLite has no TRUNCATE (its ``DELETE FROM``
meets the row triggers of 0004). The test suite's flush between transactional tests disables the
``*_no_truncate`` triggers inside its own transaction (the root conftest).
"""

from django.db import migrations

TABLES = ("records_medicalrecord", "records_recordversion")
POSTGRES = """
CREATE OR REPLACE FUNCTION records_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'record.not_deletable: medical records are never deleted (%)', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$ LANGUAGE plpgsql;
""" + "".join(
    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION records_refuse_truncate();\n"
    for table in TABLES
)
POSTGRES_REVERSE = "".join(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};\n" for table in TABLES) + (
    "DROP FUNCTION IF EXISTS records_refuse_truncate();"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRES)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRES_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("records", "0004_sqlite_delete_guard")]

    operations = [migrations.RunPython(forwards, backwards)]
