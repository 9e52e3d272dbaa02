from django.core.management.base import BaseCommand, CommandError

from contacts.models import ContactReason
from contacts.services import contact_reasons_import
from contacts.taxonomy import FormatError, Tree, parse, validate_rows


class Command(BaseCommand):
    help = (
        "Read contact reasons written by export_contact_reasons (JSON or CSV): new paths are "
        "added, existing ones updated. Nothing changes when any row is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Validate only.")

    def handle(self, *args, **options):
        try:
            with open(options["file"], encoding="utf-8", newline="") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        existing = {node.path for node in Tree(ContactReason.objects.all()).nodes.values()}
        try:
            rows, errors = validate_rows(parse(text), existing)
        except FormatError as exc:
            errors, rows = exc.errors, []
        if errors:
            for error in errors:
                self.stderr.write(error)
            raise CommandError(f"{len(errors)} problem(s) found; nothing was imported.")
        if not rows:
            raise CommandError("The file holds no reasons; nothing was imported.")
        if options["dry_run"]:
            self.stdout.write(f"{len(rows)} rows are valid (dry run, nothing imported).")
            return
        counts = contact_reasons_import(rows=rows)
        self.stdout.write(f"{counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged.")
