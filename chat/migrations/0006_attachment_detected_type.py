"""Attachments learn what their bytes are; rows stored before this are sniffed from their files."""

from typing import Any

from django.db import migrations, models

from chat.files import SNIFF_BYTES, sniff_content_type


def sniff_existing(apps: Any, schema_editor: Any) -> None:
    """Old rows keep their file where it is (no longer public); a missing file serves as a download."""
    Attachment = apps.get_model("chat", "Attachment")
    for attachment in Attachment.objects.filter(detected_type="").iterator():
        try:
            with attachment.file.open("rb") as handle:
                head = handle.read(SNIFF_BYTES)
        except OSError:
            head = b""
        attachment.detected_type = sniff_content_type(head) if head else "application/octet-stream"
        attachment.save(update_fields=["detected_type"])


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0005_metrics_day_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="detected_type",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.RunPython(sniff_existing, migrations.RunPython.noop),
    ]
