"""PostgreSQL refuses a TRUNCATE of the signatures (what ``manage flush`` runs there), which the row
DELETE trigger of 0002 does not see: a statement trigger. The test suite's flush between transactional
tests disables the ``*_no_truncate`` triggers inside its own transaction (the root conftest).
"""

from django.db import migrations

POSTGRES = """
CREATE OR REPLACE FUNCTION signatures_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'signature.not_deletable: signatures are never deleted (%)', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER signatures_signature_no_truncate BEFORE TRUNCATE ON signatures_signature
    FOR EACH STATEMENT EXECUTE FUNCTION signatures_refuse_truncate();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS signatures_signature_no_truncate ON signatures_signature;
DROP FUNCTION IF EXISTS signatures_refuse_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRES)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRES_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("signatures", "0002_never_deleted")]

    operations = [migrations.RunPython(forwards, backwards)]
