"""Render one monthly CSAT PDF in a fresh process and print time, pages, size and the
process's peak resident memory (ru_maxrss), as JSON.

    python -m bench.pdf --org 42 --month 2026-05-01
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import time

import django

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--org", type=int, required=True)
    parser.add_argument("--month", required=True)
    args = parser.parse_args()
    django.setup()
    from django.utils import translation

    from csat.reports import render_results_document
    from partnerportal.models import Organisation

    org = Organisation.objects.get(pk=args.org)
    month = dt.date.fromisoformat(args.month)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with translation.override(org.default_language):
        document = render_results_document(org=org, month=month)
        pdf = document.write_pdf()
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "pages": len(document.pages),
                "bytes": len(pdf),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "rss_before_mb": round(rss_before / 1024, 1),
            }
        )
    )
