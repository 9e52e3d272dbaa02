import datetime as dt

import pytest
from django.utils import timezone

from leads import services
from leads.models import Lead
from partnerportal.models import Location

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def location_a(org_a):
    return Location.objects.create(
        org=org_a, name="Seattle", city="Seattle", country="US", contact_name="Dana", contact_email="dana@a.example"
    )


@pytest.fixture
def location_a_pl(org_a):
    return Location.objects.create(
        org=org_a, name="Warsaw", city="Warszawa", country="PL", contact_name="Ewa", contact_email="ewa@a.example"
    )


def publish_profile(org, locations, *, keywords=("cloud migration",), description="We move businesses to the cloud."):
    profile = services.profile_save(
        org=org,
        actor=None,
        description=description,
        keywords=list(keywords),
        industries=["retail"],
        company_sizes=["10-49", "50-249"],
        locations=locations,
    )
    return services.profile_set_published(profile=profile, published=True, actor=None)


@pytest.fixture
def profile_a(org_a, location_a, location_a_pl):
    return publish_profile(org_a, [location_a, location_a_pl])


@pytest.fixture
def profile_b(org_b):
    loc = Location.objects.create(
        org=org_b, name="Munich", country="DE", contact_name="Jonas", contact_email="jonas@b.example"
    )
    return publish_profile(org_b, [loc], keywords=["security audit"], description="Security for manufacturers.")


CUSTOMER = {
    "need": "Move our file shares to the cloud.",
    "customer_company": "Tailwind Traders",
    "company_size": "10-49",
    "country": "US",
    "contact_name": "Terry Customer",
    "contact_email": "terry@tailwind.example",
    "contact_phone": "+1 555 0100",
}


def make_inquiry(org, **extra) -> Lead:
    data = {**CUSTOMER, **extra}
    return services.lead_create(org=org, type=Lead.Type.CUSTOMER_INQUIRY, **data)


def make_qualified(org, sender, type=Lead.Type.SALES_QUALIFIED, **extra) -> Lead:
    data = {**CUSTOMER, **extra}
    return services.lead_create(org=org, type=type, sender=sender, **data)


DEAL = {
    "deal_name": "File share migration",
    "deal_value": "25000",
    "deal_currency": "EUR",
    "purchase_timeframe": "3m",
    "deal_notes": "Wants a pilot in spring.",
}


@pytest.fixture
def lead_a(profile_a):
    return make_inquiry(profile_a.org)


@pytest.fixture
def accepted_lead(lead_a, alice):
    return services.lead_accept(lead=lead_a, actor=alice, **DEAL)


@pytest.fixture
def rita(org_a):
    from conftest import make_member
    from partnerportal.models import Role

    return make_member("rita@a.example", org_a, [Role.REFERRAL_ADMIN], language="pl")


def at(delta: dt.timedelta) -> dt.datetime:
    return timezone.now() + delta
