"""The database itself refuses to delete a medical record or a version, and to change a signed version's
content, whoever issues the statement (the ORM's guard is ``models.refuse_deletion``).

PostgreSQL: row triggers for both. SQLite (the embedded mode): the update guard only — a row DELETE
trigger would also fire on the ``DELETE FROM`` Django's ``flush`` issues there, which the test suite uses
between transactional tests; the ORM guard covers the paths the application has.
"""

from django.db import migrations

CONTENT = (
    "number",
    "record_id",
    "author_id",
    "status",
    "chief_complaint",
    "present_illness",
    "past_history",
    "allergy_history",
    "examination_notes",
    "diagnoses",
    "treatment_advice",
    "follow_up_advice",
    "signed_at",
    "signature_id",
    "revision",
)
CHANGED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in CONTENT)
CHANGED_SQLITE = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CONTENT)

POSTGRES = f"""
CREATE OR REPLACE FUNCTION records_refuse_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'record.not_deletable: medical records are never deleted (%)', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER records_medicalrecord_no_delete BEFORE DELETE ON records_medicalrecord
    FOR EACH ROW EXECUTE FUNCTION records_refuse_delete();
CREATE TRIGGER records_recordversion_no_delete BEFORE DELETE ON records_recordversion
    FOR EACH ROW EXECUTE FUNCTION records_refuse_delete();
CREATE OR REPLACE FUNCTION records_signed_unchanged() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' AND ({CHANGED}) THEN
        RAISE EXCEPTION 'record.signed: a signed record version cannot be changed'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER records_recordversion_signed_unchanged BEFORE UPDATE ON records_recordversion
    FOR EACH ROW EXECUTE FUNCTION records_signed_unchanged();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS records_recordversion_signed_unchanged ON records_recordversion;
DROP TRIGGER IF EXISTS records_recordversion_no_delete ON records_recordversion;
DROP TRIGGER IF EXISTS records_medicalrecord_no_delete ON records_medicalrecord;
DROP FUNCTION IF EXISTS records_signed_unchanged();
DROP FUNCTION IF EXISTS records_refuse_delete();
"""
SQLITE = f"""
CREATE TRIGGER records_recordversion_signed_unchanged BEFORE UPDATE ON records_recordversion
WHEN OLD.status = 'signed' AND ({CHANGED_SQLITE})
BEGIN
    SELECT RAISE(ABORT, 'record.signed: a signed record version cannot be changed');
END;
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS records_recordversion_signed_unchanged;"


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
    dependencies = [("records", "0001_medical_records")]

    operations = [migrations.RunPython(forwards, backwards)]
