"""Small helpers for CSAT tests: values that matter are set in each test."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from csat.models import Contact, Response, customer_org_key


def make_response(
    org, company="Contoso", *, at=None, anonymous=False, recommend=9, satisfaction=4, language="en", **extra
):
    return Response.objects.create(
        org=org,
        source=Response.Source.OPEN_LINK,
        is_anonymous=anonymous,
        respondent_name="" if anonymous else "Dana Lee",
        respondent_email="" if anonymous else "dana@customer.example",
        customer_org=company,
        customer_org_key=customer_org_key(company),
        language=language,
        submitted_at=at or timezone.now(),
        satisfaction=satisfaction,
        keep_business=4,
        engage_again=4,
        recommend=recommend,
        **extra,
    )


def make_contact(org, email="ana@customer.example", *, consent=True, language="en", company="Adventure Works"):
    return Contact.objects.create(
        org=org,
        first_name="Ana",
        last_name="Kovač",
        email=email,
        customer_org=company,
        customer_org_key=customer_org_key(company),
        language=language,
        consent=consent,
    )


def aware(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


CORE_ANSWERS = {"satisfaction": "4", "keep_business": "5", "engage_again": "4", "recommend": "9"}
