import json

from django.core.management.base import BaseCommand, CommandError

from csat.selectors import compliance_for_orgs
from partnerportal.models import Organisation


class Command(BaseCommand):
    help = "Print each organisation's CSAT compliance status."

    def add_arguments(self, parser):
        parser.add_argument("--org", metavar="PARTNER_ID", help="Only this organisation.")
        parser.add_argument("--json", action="store_true", help="Print JSON lines.")

    def handle(self, *args, **options):
        orgs = Organisation.objects.filter(is_active=True).order_by("partner_id")
        if options["org"]:
            orgs = orgs.filter(partner_id=options["org"])
            if not orgs:
                raise CommandError(f"No organisation with partner ID {options['org']}.")
        results = compliance_for_orgs(orgs=list(orgs))
        rows = []
        for c in results.values():
            rows.append(
                {
                    "partner_id": c.org.partner_id,
                    "window_start": c.window_start.isoformat(),
                    "window_end": c.window_end.isoformat(),
                    "counted_responses": c.counted,
                    "distinct_customer_orgs": c.distinct_orgs,
                    "mtm_evaluations": c.mtm_evaluations,
                    "met": c.met,
                    "path": c.path or None,
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps(rows if not options["org"] else rows[0], indent=2))
            return
        self.stdout.write(f"{'partner ID':<12} {'window':<23} {'counted':>7} {'orgs':>4} {'MtM':>4}  status")
        for r in rows:
            status = f"met ({r['path']})" if r["met"] else "not met"
            window = f"{r['window_start'][:10]}..{r['window_end'][:10]}"
            self.stdout.write(
                f"{r['partner_id']:<12} {window:<23} {r['counted_responses']:>7} {r['distinct_customer_orgs']:>4} {r['mtm_evaluations']:>4}  {status}"
            )
