"""Attachments learn what their bytes are, and files stored under guessable names get random ones.

Before this, files lived at ``attachments/<conversation>/<sender's name>`` and
``questionnaires/<conversation>/photo-<unix time>.<ext>``; a web server that ever served MEDIA_ROOT
would still hand them to anyone who guessed. Each is moved to a random name (the row follows); a file
that is missing is left as it is.
"""

import re
from typing import Any

from django.core.files.storage import default_storage
from django.db import migrations, models

from chat.files import SNIFF_BYTES, random_storage_name, sniff_content_type

RANDOM_NAME = re.compile(r"(attachments|questionnaires)/[0-9a-f]{32}(\.[a-z0-9]+)?")


def sniff_existing(apps: Any, schema_editor: Any) -> None:
    """What each old row's bytes are; a row whose file is missing is treated as a download."""
    Attachment = apps.get_model("chat", "Attachment")
    for attachment in Attachment.objects.filter(detected_type="").iterator():
        try:
            with attachment.file.open("rb") as handle:
                head = handle.read(SNIFF_BYTES)
        except OSError:
            head = b""
        attachment.detected_type = sniff_content_type(head) if head else "application/octet-stream"
        attachment.save(update_fields=["detected_type"])


def _move_to_random_name(field_file: Any, folder: str, extension: str = "") -> str | None:
    """The file copied to a random name and the old one deleted; None when there is nothing to move."""
    old = field_file.name
    if not old or RANDOM_NAME.fullmatch(old) or not default_storage.exists(old):
        return None
    with default_storage.open(old, "rb") as handle:
        new = default_storage.save(random_storage_name(folder, extension), handle)
    default_storage.delete(old)
    return new


def rename_guessable(apps: Any, schema_editor: Any) -> None:
    Attachment = apps.get_model("chat", "Attachment")
    for attachment in Attachment.objects.exclude(file="").iterator():
        if new := _move_to_random_name(attachment.file, "attachments"):
            Attachment.objects.filter(pk=attachment.pk).update(file=new)
    Questionnaire = apps.get_model("chat", "Questionnaire")
    for questionnaire in Questionnaire.objects.exclude(photo="").iterator():
        extension = questionnaire.photo.name.rsplit(".", 1)[-1] if "." in questionnaire.photo.name else ""
        if new := _move_to_random_name(questionnaire.photo, "questionnaires", extension):
            Questionnaire.objects.filter(pk=questionnaire.pk).update(photo=new)


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
        migrations.RunPython(rename_guessable, migrations.RunPython.noop),
    ]
