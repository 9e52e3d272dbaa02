from django.core.management.base import BaseCommand

from partnerportal.mail import mail_requeue_pending


class Command(BaseCommand):
    help = "Enqueue every outgoing mail still waiting to be sent (normally every 5 minutes)."

    def handle(self, *args, **options):
        count = mail_requeue_pending()
        self.stdout.write(f"{count} mail(s) enqueued.")
