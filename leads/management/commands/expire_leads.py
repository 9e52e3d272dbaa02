from django.core.management.base import BaseCommand

from leads.services import leads_expire


class Command(BaseCommand):
    help = "Archive as expired the leads not answered within 14 days and notify their senders (normally hourly)."

    def handle(self, *args, **options):
        self.stdout.write(f"{leads_expire()} lead(s) expired.")
