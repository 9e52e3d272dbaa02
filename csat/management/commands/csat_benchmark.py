"""Measure the survey programme at scale inside a transaction that is rolled back:
a 50,000-row contacts upload, and results and compliance for 100,000 responses."""

import datetime as dt
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from csat import importing, reports, selectors, services
from csat.models import Response, customer_org_key
from partnerportal.models import Organisation, User


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark contacts upload, results and compliance (nothing is kept)."

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=50_000)
        parser.add_argument("--responses", type=int, default=100_000)

    def timed(self, label, fn):
        start = time.perf_counter()
        result = fn()
        self.stdout.write(f"{label:<45} {time.perf_counter() - start:8.2f} s")
        return result

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                self.run(options["contacts"], options["responses"])
                raise _Rollback
        except _Rollback:
            pass

    def run(self, n_contacts, n_responses):
        org = Organisation.objects.create(
            name="Benchmark",
            partner_id="BENCH-1",
            country="US",
            renewal_date=timezone.localdate() + dt.timedelta(days=30),
        )
        actor = User.objects.create_user(email="bench@bench.example")
        lines = ["first_name,last_name,email,customer_organisation,language,consent"]
        lines += [f"N{i},S{i},p{i}@bench.example,Customer {i % 500},de,yes" for i in range(n_contacts)]
        data = "\n".join(lines).encode()
        imp = self.timed(
            f"validate {n_contacts} contacts",
            lambda: services.import_preview(org=org, actor=actor, filename="b.csv", data=data),
        )
        self.timed(f"import {n_contacts} contacts", lambda: services.import_commit(imp=imp, actor=actor))
        now = timezone.now()
        rows = [
            Response(
                org=org,
                source="open",
                customer_org=f"Customer {i % 700}",
                customer_org_key=customer_org_key(f"Customer {i % 700}"),
                language="en",
                submitted_at=now - dt.timedelta(minutes=i * 3),
                satisfaction=1 + i % 5,
                keep_business=1 + i % 5,
                engage_again=1 + i % 5,
                recommend=i % 11,
                respondent_name="",
                respondent_email="",
                is_anonymous=True,
            )
            for i in range(n_responses)
        ]
        self.timed(f"insert {n_responses} responses", lambda: Response.objects.bulk_create(rows, batch_size=10_000))
        self.timed("compliance for the organisation", lambda: selectors.compliance_for_org(org=org))
        self.timed(
            "results (all charts, no benchmark)",
            lambda: reports.build_results(org=org, filters=selectors.ResultFilters(), with_benchmark=False),
        )
        self.timed("template download (sanity)", importing.template_xlsx)
