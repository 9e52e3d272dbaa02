from django.core.management.base import BaseCommand

from contacts.taxonomy import dump_csv, dump_json, export_rows


class Command(BaseCommand):
    help = "Write the contact-reason tree (every node, retired ones too) as JSON or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")

    def handle(self, *args, **options):
        rows = export_rows()
        text = dump_json(rows) if options["format"] == "json" else dump_csv(rows)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as f:
                f.write(text)
            self.stderr.write(f"{len(rows)} reasons written to {options['output']}")
        else:
            self.stdout.write(text, ending="")
