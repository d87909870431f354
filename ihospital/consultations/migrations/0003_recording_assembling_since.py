from django.db import migrations, models
from django.db.models import F


def close_assembled_takes(apps, schema_editor):
    """Takes assembled before the claim existed are closed too: they accept no more chunks."""
    Recording = apps.get_model("consultations", "Recording")
    Recording.objects.filter(assembled_at__isnull=False).update(assembling_since=F("assembled_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0002_consultation_cancelled"),
    ]

    operations = [
        migrations.AddField(
            model_name="recording",
            name="assembling_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(close_assembled_takes, migrations.RunPython.noop),
    ]
