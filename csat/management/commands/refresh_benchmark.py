from django.core.management.base import BaseCommand

from csat.services import benchmark_refresh


class Command(BaseCommand):
    help = "Compute and store the CSAT benchmark across partners shown on results pages and reports."

    def handle(self, *args, **options):
        snapshot = benchmark_refresh()
        shown = "shown" if snapshot.summary else "not shown (too few partners)"
        self.stdout.write(f"{snapshot.partners} partners with enough responses; the benchmark is {shown}.")
