from django.core.management.base import BaseCommand

from partnerportal.services import invitations_expire


class Command(BaseCommand):
    help = "Mark pending team invitations past their date as expired (normally daily)."

    def handle(self, *args, **options):
        self.stdout.write(f"{invitations_expire()} invitation(s) expired.")
