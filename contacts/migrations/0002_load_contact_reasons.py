"""Load the contact-reason taxonomy ("Why are they contacting us?", Appendix 1 of the
call-center manual) from contacts/data/contact_reasons.json.

The file lists parents before children; each row is a path of English labels. Running
it on a database that already has the reasons changes nothing.
"""

import json
from pathlib import Path

from django.db import migrations

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "contact_reasons.json"


def load(apps, schema_editor):
    ContactReason = apps.get_model("contacts", "ContactReason")
    rows = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    by_path = {}
    for row in rows:
        path = tuple(row["path"])
        parent = by_path[path[:-1]] if len(path) > 1 else None
        reason, _ = ContactReason.objects.get_or_create(
            parent=parent,
            label_en=path[-1],
            defaults={
                "level": row["level"],
                "label_en_original": row["label_en_original"],
                "label_ru": row["label_ru"],
                "definition_ru": row["definition_ru"],
                "definition_en": row["definition_en"],
                "grouping": row["grouping"],
                "order": row["order"],
                "is_active": row["active"],
            },
        )
        by_path[path] = reason


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
