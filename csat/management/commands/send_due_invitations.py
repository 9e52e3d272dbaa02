from django.core.management.base import BaseCommand

from csat.services import invitations_send_due


class Command(BaseCommand):
    help = "Send every queued CSAT survey invitation."

    def handle(self, *args, **options):
        self.stdout.write(f"{invitations_send_due()} invitations sent.")
