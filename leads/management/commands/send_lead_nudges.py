from django.core.management.base import BaseCommand

from leads.services import leads_send_nudges


class Command(BaseCommand):
    help = "Remind referral admins of leads unanswered for 24 hours, 7 days and 13 days (normally hourly)."

    def handle(self, *args, **options):
        self.stdout.write(f"{leads_send_nudges()} reminder(s) sent.")
