from django.core.management.base import BaseCommand, CommandError

from csat.services import monthly_reports_send
from partnerportal.models import Organisation


class Command(BaseCommand):
    help = "Send last month's CSAT report to every opted-in organisation (never twice in a month)."

    def add_arguments(self, parser):
        parser.add_argument("--org", metavar="PARTNER_ID", help="Only this organisation.")

    def handle(self, *args, **options):
        org_id = None
        if options["org"]:
            org = Organisation.objects.filter(partner_id=options["org"]).first()
            if org is None:
                raise CommandError(f"No organisation with partner ID {options['org']}.")
            org_id = org.pk
        self.stdout.write(f"{monthly_reports_send(org_id=org_id)} reports sent.")
