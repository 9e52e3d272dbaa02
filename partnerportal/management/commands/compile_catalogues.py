"""Compile every .po catalogue to .mo with Babel, so no GNU gettext is needed on the machine."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the message catalogues (.po -> .mo) without GNU gettext."

    def handle(self, *args, **options):
        base = Path(settings.BASE_DIR)
        count = 0
        for po_path in sorted(base.glob("**/locale/*/LC_MESSAGES/*.po")):
            if ".venv" in po_path.parts or ".var" in po_path.parts:
                continue
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as fh:
                catalog = read_po(fh, abort_invalid=True)
            with mo_path.open("wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)
            count += 1
        self.stdout.write(f"{count} catalogue(s) compiled.")
