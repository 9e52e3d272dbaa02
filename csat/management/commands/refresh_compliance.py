from django.core.management.base import BaseCommand

from csat.services import compliance_refresh


class Command(BaseCommand):
    help = "Record every organisation's CSAT compliance status and notify newly compliant ones."

    def handle(self, *args, **options):
        stats = compliance_refresh()
        self.stdout.write(f"{stats['organisations']} organisations checked, {stats['became_met']} newly compliant.")
