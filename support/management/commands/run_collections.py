import datetime as dt

from django.core.management.base import BaseCommand

from support.services import collections_run


class Command(BaseCommand):
    help = (
        "Send collections reminders, mark invoices overdue and suspend per policy (normally daily). Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as of this day (YYYY-MM-DD); defaults to today.")

    def handle(self, *args, **options):
        today = dt.date.fromisoformat(options["date"]) if options.get("date") else None
        result = collections_run(today=today)
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in result.items()))
