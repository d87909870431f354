"""Encrypt the identities already stored: accounts' and visit persons' phone and resident ID numbers.

The columns become ciphertext (AES-256-GCM, ihospital.core.crypto) and the blind indexes that replace
their unique constraints are filled in. It works on the raw rows with SQL: the historical model would
try to decrypt the plaintext it reads. It is re-runnable (a value already encrypted is left alone).

Patients' user names made of their mobile number (``p138…``) are replaced by random ones.

Reversible while the keys it used are still configured: going back decrypts every value into the
column again (and drops the indexes). Without those keys the data can't be read at all, which is the
point: back up FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY with the database (`ihospital manage backup`).
"""

import secrets

import ihospital.core.fields
from django.db import migrations, models

from ihospital.core import crypto

UNCHANGED = object()

# model → {encrypted column: (kind, its blind-index column or None)}
COLUMNS = {
    "user": {"phone": (crypto.PHONE, "phone_index")},
    "visitperson": {
        "id_number": (crypto.ID_NUMBER, "id_number_index"),
        "phone": (crypto.PHONE, None),
        "guardian_id_number": (crypto.ID_NUMBER, None),
        "guardian_phone": (crypto.PHONE, None),
    },
}


def _rewrite(apps, schema_editor, convert):
    """For every row, set each column (and index) to what ``convert(kind, value)`` returns for it."""
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    for model_name, columns in COLUMNS.items():
        table = quote(apps.get_model("accounts", model_name)._meta.db_table)
        names = list(columns)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, {', '.join(quote(n) for n in names)} FROM {table}")  # noqa: S608
            rows = cursor.fetchall()
        for pk, *values in rows:
            assignments: dict[str, object] = {}
            for name, value in zip(names, values):
                kind, index = columns[name]
                stored, index_value = convert(kind, value)
                assignments[name] = stored
                if index and index_value is not UNCHANGED:
                    assignments[index] = index_value
            sets = ", ".join(f"{quote(n)} = %s" for n in assignments)
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET {sets} WHERE id = %s", [*assignments.values(), pk])  # noqa: S608


def _encrypted(kind, value):
    if not value:
        return value, (None if value is None else "")
    plaintext = crypto.decrypt(value, kind=kind) if crypto.is_ciphertext(value) else value
    stored = value if crypto.is_ciphertext(value) else crypto.encrypt(plaintext, kind=kind)
    return stored, crypto.blind_index(kind, plaintext)


def _decrypted(kind, value):
    """Back to plaintext; the index columns are left as they are (the migration drops them next)."""
    if not value or not crypto.is_ciphertext(value):
        return value, UNCHANGED
    return crypto.decrypt(value, kind=kind), UNCHANGED


def encrypt_rows(apps, schema_editor):
    _rewrite(apps, schema_editor, _encrypted)


def rename_phone_user_names(apps, schema_editor):
    """Patients signed up as ``p<mobile number>``: a user name is not encrypted, so it gets a random one.
    One-way: going back keeps the new names (nothing signs in by a patient's user name)."""
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    table = quote(apps.get_model("accounts", "user")._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, username, phone FROM {table} WHERE role = 'patient'")  # noqa: S608
        rows = cursor.fetchall()
    for pk, username, phone in rows:
        if phone and username == f"p{crypto.decrypt(phone, kind=crypto.PHONE)}":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET username = %s WHERE id = %s",  # noqa: S608
                    [f"p{secrets.token_hex(8)}", pk],
                )


def decrypt_rows(apps, schema_editor):
    _rewrite(apps, schema_editor, _decrypted)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_visit_person_removal'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='visitperson',
            name='visit_person_unique_id_per_account',
        ),
        migrations.AddField(
            model_name='user',
            name='phone_index',
            field=ihospital.core.fields.BlindIndexField(null=True, of='phone', unique=True, verbose_name="mobile number's blind index"),
        ),
        migrations.AddField(
            model_name='visitperson',
            name='id_number_index',
            field=ihospital.core.fields.BlindIndexField(of='id_number', verbose_name="ID number's blind index"),
        ),
        migrations.AlterField(
            model_name='user',
            name='phone',
            field=ihospital.core.fields.EncryptedField(blank=True, kind='phone', null=True, verbose_name='mobile number'),
        ),
        migrations.AlterField(
            model_name='visitperson',
            name='guardian_id_number',
            field=ihospital.core.fields.EncryptedField(blank=True, kind='id_number', verbose_name="guardian's ID number"),
        ),
        migrations.AlterField(
            model_name='visitperson',
            name='guardian_phone',
            field=ihospital.core.fields.EncryptedField(blank=True, kind='phone', verbose_name="guardian's mobile number"),
        ),
        migrations.AlterField(
            model_name='visitperson',
            name='id_number',
            field=ihospital.core.fields.EncryptedField(kind='id_number', verbose_name='resident ID number'),
        ),
        migrations.AlterField(
            model_name='visitperson',
            name='phone',
            field=ihospital.core.fields.EncryptedField(kind='phone', verbose_name='mobile number'),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
        migrations.RunPython(rename_phone_user_names, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name='visitperson',
            constraint=models.UniqueConstraint(condition=models.Q(('removed_at__isnull', True)), fields=('account', 'id_number_index'), name='visit_person_unique_id_per_account'),
        ),
    ]
