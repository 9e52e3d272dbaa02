from django.core.management.base import BaseCommand

from csat.services import reminders_send_due


class Command(BaseCommand):
    help = "Send the one reminder to invited customers who have not answered after the delay."

    def handle(self, *args, **options):
        self.stdout.write(f"{reminders_send_due()} reminders sent.")
