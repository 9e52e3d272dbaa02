import datetime as dt
from decimal import Decimal

import pytest

from conftest import make_member, make_org
from partnerportal.models import Role
from support import services
from support.models import Invoice, Subscription


@pytest.fixture
def csp_a(org_a):
    org_a.csp_relationship = "direct"
    org_a.save()
    return org_a


@pytest.fixture
def customer(csp_a, alice):
    return services.customer_create(
        org=csp_a,
        actor=alice,
        company="Hotel Nord",
        tenant_domain="HotelNord.onmicrosoft.com",
        country="PL",
        language="pl",
        billing_contact_name="Anna Kasa",
        billing_contact_email="anna@hotelnord.example",
        billing_contact_phone="",
        technical_contact_name="Tomasz IT",
        technical_contact_email="tomasz@hotelnord.example",
        technical_contact_phone="",
    )


@pytest.fixture
def contact(customer):
    return customer.contacts.get(email="tomasz@hotelnord.example")


@pytest.fixture
def support_request(csp_a, customer, contact):
    return services.request_create(
        org=csp_a,
        customer=customer,
        requester=contact,
        category="technical",
        service="exchange_online",
        severity="B",
        subject="Mail not arriving",
        description="Since this morning no mail arrives.",
    )


@pytest.fixture
def sven(csp_a):
    return make_member("sven@a.example", csp_a, [Role.SUPPORT_AGENT])


@pytest.fixture
def bella(csp_a):
    return make_member("bella@a.example", csp_a, [Role.BILLING_ADMIN])


def make_invoice(customer, number="INV-1", due=dt.date(2026, 5, 10), amount="100.00", **extra):
    return Invoice.objects.create(
        org=customer.org,
        customer=customer,
        number=number,
        period_start=due - dt.timedelta(days=40),
        period_end=due - dt.timedelta(days=10),
        amount=Decimal(amount),
        due_date=due,
        **extra,
    )


def make_customer(org, actor, key: str = ""):
    """A plain English-speaking customer of `org`; `key` keeps several apart."""
    return services.customer_create(
        org=org,
        actor=actor,
        company=f"C{key}",
        tenant_domain=f"c{key}.example",
        language="en",
        billing_contact_name="B",
        billing_contact_email=f"b{key}@c.example",
        technical_contact_name="T",
        technical_contact_email="t@c.example",
    )


def make_subscription(customer, **extra):
    extra.setdefault("service", "exchange_online")
    return Subscription.objects.create(
        org=customer.org, customer=customer, seats=10, unit_price=Decimal("4.00"), **extra
    )


@pytest.fixture
def reseller_pair(db):
    provider = make_org("PP-P", "Provider Co", csp_relationship="indirect_provider", membership_level="gold")
    reseller = make_org("PP-R", "Reseller Co", csp_relationship="indirect_reseller", indirect_provider=provider)
    return provider, reseller
