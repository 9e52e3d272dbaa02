"""Demo business profiles and leads: every type in every stage, one about to expire, one with
a fresh flame and one whose flame has turned (older than 72 hours), plus a year of history
for the directory ranking and the programme's funnel. Idempotent: leads are found by their
natural key (organisation, customer company, type) before they are created."""

from __future__ import annotations

import datetime as dt
import random
import zlib
from decimal import Decimal

from django.utils import timezone

from partnerportal.models import AuditEntry, Location

from . import services
from .models import BusinessProfile, Lead, LeadContact

PROFILES = {
    "contoso": (
        "Contoso Solutions helps mid-sized companies move to the cloud: Microsoft 365 roll-outs, "
        "Teams telephony, security reviews and managed services from Seattle and Warsaw.",
        ["cloud migration", "microsoft 365", "teams", "security audit", "managed services"],
        ["retail", "professional", "manufacturing"],
        ["10-49", "50-249", "250-999"],
    ),
    "fabrikam": (
        "Fabrikam Consulting builds data platforms and Azure landing zones for German manufacturers.",
        ["azure", "data platform", "landing zone", "iot"],
        ["manufacturing", "automotive", "energy"],
        ["250-999", "1000+"],
    ),
    "northwind": (
        "Northwind Learning trains administrators and end users, on site in London or online.",
        ["training", "certification", "end-user adoption"],
        ["education", "government", "nonprofit"],
        ["1-9", "10-49", "50-249", "250-999", "1000+"],
    ),
    "adatum": (
        "Adatum distributes cloud subscriptions to resellers across Central Europe.",
        ["csp", "licensing", "cloud distribution"],
        ["professional"],
        ["50-249", "250-999", "1000+"],
    ),
    "litware": (
        "Litware sets up Microsoft 365 and backup for small businesses in Istanbul.",
        ["microsoft 365", "backup", "small business"],
        ["retail", "hospitality"],
        ["1-9", "10-49"],
    ),
    "tailspin-services": (
        "Tailspin Services runs collaboration projects and intranets for Japanese enterprises.",
        ["sharepoint", "intranet", "collaboration", "teams"],
        ["finance", "media"],
        ["250-999", "1000+"],
    ),
    "tailspin-software": (
        "Tailspin Software builds line-of-business apps on the Power Platform and Azure.",
        ["power apps", "custom development", "azure"],
        ["finance", "transport"],
        ["50-249", "250-999"],
    ),
}

CUSTOMERS = [
    ("Tailwind Traders", "50-249", "US", "Terry Adams"),
    ("Wide World Importers", "250-999", "US", "Grace Lin"),
    ("Fourth Coffee", "10-49", "PL", "Marek Zieliński"),
    ("Alpine Ski House", "10-49", "US", "Ola Berg"),
    ("Proseware", "50-249", "PL", "Anna Kowalczyk"),
    ("Lucerne Publishing", "250-999", "US", "Sam Taylor"),
    ("Margie's Travel", "1-9", "US", "Margie Shoop"),
    ("Trey Research", "50-249", "PL", "Piotr Wiśniewski"),
    ("Coho Winery", "10-49", "US", "Jamie Reding"),
    ("Consolidated Messenger", "250-999", "US", "Chris Preston"),
    ("Graphic Design Institute", "10-49", "PL", "Kasia Lewandowska"),
    ("Humongous Insurance", "1000+", "US", "Robin Wood"),
    ("Relecloud", "50-249", "US", "Alex Rivera"),
    ("School of Fine Art", "10-49", "PL", "Jan Nowicki"),
    ("VanArsdel", "250-999", "US", "Pat Kim"),
    ("Woodgrove Bank", "1000+", "US", "Lee Gonzales"),
    ("Bellows College", "50-249", "PL", "Zofia Mazur"),
    ("Adventure Works", "250-999", "US", "Kim Abercrombie"),
]

NEEDS = [
    "We want to move our file shares and e-mail to the cloud before our server lease ends in June.",
    "Looking for a partner to set up Teams telephony for three offices and train our receptionists.",
    "Our auditors asked for a security review of our Microsoft 365 tenant and conditional access.",
    "We need managed backup and device management for 40 laptops.",
    "Planning a data warehouse on Azure for our sales reporting; need help with the design.",
]


def seed(ctx) -> None:
    now = timezone.now()
    staff = ctx.users.get("staff")
    alice = ctx.users.get("alice")
    existing = set(BusinessProfile.objects.values_list("org_id", flat=True))
    for key, (description, keywords, industries, sizes) in PROFILES.items():
        org = ctx.orgs[key]
        if org.pk in existing:
            continue  # seeded before; saving again would add audit entries
        profile = services.profile_save(
            org=org,
            actor=None,
            description=description,
            keywords=keywords,
            industries=industries,
            company_sizes=sizes,
            locations=list(Location.objects.filter(org=org)),
            website=f"https://www.{key.split('-')[0]}.example",
        )
        services.profile_set_published(profile=profile, published=True, actor=None)
    # Woodgrove has a draft profile: it cannot receive leads until it publishes.
    if ctx.orgs["woodgrove"].pk not in existing:
        services.profile_save(
            org=ctx.orgs["woodgrove"],
            actor=None,
            description="Woodgrove Partners: ERP integration (draft).",
            keywords=["erp"],
            industries=[],
            company_sizes=["250-999"],
            locations=list(Location.objects.filter(org=ctx.orgs["woodgrove"])),
        )

    contoso = ctx.orgs["contoso"]
    locations = {loc.country: loc for loc in Location.objects.filter(org=contoso)}
    # (type, status, age, may_contact_directly)
    plan = []
    for lead_type in Lead.Type.values:
        for status in Lead.Status.values:
            plan.append((lead_type, status, dt.timedelta(days=2 + len(plan)), False))
    plan += [
        (Lead.Type.CUSTOMER_INQUIRY, Lead.Status.RECEIVED, dt.timedelta(days=13, hours=20), False),  # about to expire
        (Lead.Type.CUSTOMER_INQUIRY, Lead.Status.RECEIVED, dt.timedelta(hours=2), True),  # fresh flame
        (Lead.Type.SALES_QUALIFIED, Lead.Status.RECEIVED, dt.timedelta(days=4), True),  # flame after 72 hours
    ]
    for i, (lead_type, status, age, direct) in enumerate(plan):
        company, size, country, contact = CUSTOMERS[i % len(CUSTOMERS)]
        if i >= len(CUSTOMERS):
            company = f"{company} {['East', 'West', 'North'][i % 3]}"
        if Lead.objects.filter(org=contoso, customer_company=company, type=lead_type).exists():
            continue
        # Received leads must stay inside their 14-day window to stay received.
        if status == Lead.Status.RECEIVED and age >= dt.timedelta(days=14):
            age = dt.timedelta(days=1, hours=i)
        _demo_lead(
            org=contoso,
            location=locations.get(country) or next(iter(locations.values()), None),
            lead_type=lead_type,
            status=status,
            received_at=now - age,
            direct=direct,
            company=company,
            size=size,
            country=country,
            contact=contact,
            need=NEEDS[i % len(NEEDS)],
            sender=None if lead_type == Lead.Type.CUSTOMER_INQUIRY else staff,
            actor=alice,
        )
    _history(ctx, now)
    services.profile_refresh_responsiveness(org_ids=[o.pk for o in ctx.orgs.values()])
    ctx.say(f"Leads: {BusinessProfile.objects.filter(is_published=True).count()} published profiles.")


def _demo_lead(*, org, location, lead_type, status, received_at, direct, company, size, country, contact, need,
               sender, actor) -> Lead:  # fmt: skip
    responded = received_at + dt.timedelta(hours=7)
    lead = Lead(
        org=org,
        type=lead_type,
        status=status,
        location=location,
        need=need,
        customer_company=company,
        company_size=size,
        country=country,
        contact_name=contact,
        contact_email=contact.split()[0].lower() + "@" + company.split()[0].lower().strip("'") + ".example",
        contact_phone="+1 555 01" + str(zlib.crc32(company.encode()) % 100).zfill(2),
        may_contact_directly=direct,
        sender=sender,
        received_at=received_at,
    )
    entries = [("lead.received", received_at, None, {"type": lead_type})]
    if status in (Lead.Status.ACCEPTED, Lead.Status.WON, Lead.Status.LOST):
        lead.responded_at = responded
        lead.deal_name = f"{company}: cloud project"
        lead.deal_value = Decimal(15000 + 5000 * (len(company) % 7))
        lead.deal_currency = "USD" if country == "US" else "PLN"
        lead.purchase_timeframe = Lead.Timeframe.QUARTER
        lead.purchase_date = (received_at + dt.timedelta(days=75)).date()
        lead.deal_notes = "Customer wants a pilot with one department first."
        lead.crm_id = f"CRM-{zlib.crc32(company.encode()) % 10000:04d}"
        entries.append(("lead.accepted", responded, actor, {"deal_name": lead.deal_name}))
    if status in (Lead.Status.WON, Lead.Status.LOST):
        lead.closed_at = responded + dt.timedelta(days=1)
        lead.outcome_notes = "Signed after the pilot." if status == Lead.Status.WON else "Customer chose to wait."
        entries.append(("lead.won" if status == Lead.Status.WON else "lead.lost", lead.closed_at, actor, {}))
    if status == Lead.Status.DECLINED:
        lead.responded_at = lead.closed_at = responded
        lead.decline_reason = Lead.DeclineReason.NO_CAPACITY
        lead.decline_notes = "Our team is fully booked until the autumn."
        entries.append(("lead.declined", responded, actor, {"reason": lead.decline_reason}))
    if status == Lead.Status.EXPIRED:
        lead.closed_at = received_at + dt.timedelta(days=14)
        entries.append(("lead.expired", lead.closed_at, None, {}))
    lead.save()
    if status in (Lead.Status.ACCEPTED, Lead.Status.WON):
        LeadContact.objects.get_or_create(
            lead=lead,
            email="sid@contoso.example",
            defaults={"org": org, "name": "Sid Sales", "phone": "+1 206 555 0199", "added_by": actor},
        )
    AuditEntry.objects.bulk_create(
        AuditEntry(
            created_at=when,
            actor=who,
            org=org,
            action=action,
            object_type="leads.lead",
            object_id=str(lead.pk),
            object_repr=str(lead)[:200],
            details=details,
        )
        for action, when, who, details in entries
    )
    return lead


HISTORY_PER_ORG = 250


def _history(ctx, now) -> None:
    """A year of answered and expired leads per published partner, so the directory ranks
    by real responsiveness and the funnel has numbers. Bulk-created, once."""
    rng = random.Random(2026)  # noqa: S311 - demo data
    # Typical hours to respond per partner: the directory shows the difference.
    speed = {"contoso": 6, "fabrikam": 30, "northwind": 60, "adatum": 150, "litware": 12,
             "tailspin-services": 90, "tailspin-software": 200}  # fmt: skip
    rows = []
    for key, hours in speed.items():
        org = ctx.orgs[key]
        if Lead.objects.filter(org=org, contact_email__endswith="@history.example").exists():
            continue
        for i in range(HISTORY_PER_ORG):
            company, size, country, contact = CUSTOMERS[rng.randrange(len(CUSTOMERS))]
            received = now - dt.timedelta(days=rng.randint(20, 360), hours=rng.randint(0, 23))
            roll = rng.random()
            status = (
                Lead.Status.EXPIRED
                if roll < 0.08
                else Lead.Status.DECLINED
                if roll < 0.3
                else Lead.Status.LOST
                if roll < 0.55
                else Lead.Status.WON
                if roll < 0.8
                else Lead.Status.ACCEPTED
            )
            responded = None
            if status != Lead.Status.EXPIRED:
                responded = received + dt.timedelta(hours=max(0.5, rng.gauss(hours, hours / 3)))
            accepted = status in (Lead.Status.ACCEPTED, Lead.Status.WON, Lead.Status.LOST)
            rows.append(
                Lead(
                    org=org,
                    type=rng.choice(Lead.Type.values),
                    status=status,
                    need=NEEDS[i % len(NEEDS)],
                    customer_company=company,
                    company_size=size,
                    country=country,
                    contact_name=contact,
                    contact_email=f"customer{i}@history.example",
                    received_at=received,
                    responded_at=responded,
                    closed_at=(received + dt.timedelta(days=14))
                    if status == Lead.Status.EXPIRED
                    else (responded + dt.timedelta(days=30) if status != Lead.Status.ACCEPTED else None),
                    deal_name=f"{company} project" if accepted else "",
                    deal_value=Decimal(rng.randrange(5, 200) * 1000) if accepted else None,
                    deal_currency="USD" if accepted else "",
                    purchase_timeframe=Lead.Timeframe.QUARTER if accepted else "",
                    deal_notes="Imported history." if accepted else "",
                    decline_reason=rng.choice(Lead.DeclineReason.values) if status == Lead.Status.DECLINED else "",
                    decline_notes="History." if status == Lead.Status.DECLINED else "",
                )
            )
    Lead.objects.bulk_create(rows, batch_size=1000)
