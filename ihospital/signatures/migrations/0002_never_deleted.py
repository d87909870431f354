"""The database refuses to delete a signature, whoever issues the statement: a signed document's proof
is kept as long as the document (records 15 years). PostgreSQL: a row trigger; SQLite: a row trigger that
aborts the statement (the test suite's flush lifts the ``*_no_delete`` triggers for its own transaction
only, see the root conftest).
"""

from django.db import migrations

POSTGRES = """
CREATE OR REPLACE FUNCTION signatures_refuse_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'signature.not_deletable: signatures are never deleted (%)', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER signatures_signature_no_delete BEFORE DELETE ON signatures_signature
    FOR EACH ROW EXECUTE FUNCTION signatures_refuse_delete();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS signatures_signature_no_delete ON signatures_signature;
DROP FUNCTION IF EXISTS signatures_refuse_delete();
"""
SQLITE = """
CREATE TRIGGER signatures_signature_no_delete BEFORE DELETE ON signatures_signature
BEGIN SELECT RAISE(ABORT, 'signature.not_deletable: signatures are never deleted (signatures_signature)'); END;
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS signatures_signature_no_delete;"


def forwards(apps, schema_editor):
    sql = {"postgresql": POSTGRES, "sqlite": SQLITE}.get(schema_editor.connection.vendor)
    if sql:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def backwards(apps, schema_editor):
    sql = {"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}.get(schema_editor.connection.vendor)
    if sql:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("signatures", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
