from django.db import migrations


class Migration(migrations.Migration):
    """The column holds the payment order's public id (a UUID), not a foreign key; the name now says so."""

    dependencies = [("appointments", "0001_appointments_attachments")]

    operations = [
        migrations.RenameField(model_name="appointment", old_name="payment_order_id", new_name="payment_order_public_id"),
    ]
