"""Demo CSP customers, support requests in every status, an active incident, and invoices at
every stage of collections. Idempotent: rows are found by natural keys before creation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from partnerportal.models import hash_token, new_token

from .models import (
    CollectionEvent,
    CollectionsPolicy,
    Customer,
    CustomerContact,
    Escalation,
    Invoice,
    RequestMessage,
    ServiceHealthIncident,
    Subscription,
    SupportProfile,
    SupportRequest,
)

CUSTOMERS = [
    # org, company, tenant, country, language, billing (name, email), technical (name, email)
    (
        "contoso",
        "Hotel Nord Sp. z o.o.",
        "hotelnord.onmicrosoft.com",
        "PL",
        "pl",
        ("Anna Kasprzak", "anna.kasprzak@hotelnord.example"),
        ("Tomasz Wiśniewski", "tomasz@hotelnord.example"),
    ),
    (
        "contoso",
        "Blue Yonder Airlines",
        "blueyonder.onmicrosoft.com",
        "US",
        "en",
        ("Mark Hanson", "billing@blueyonder.example"),
        ("Grace Kim", "grace.kim@blueyonder.example"),
    ),
    (
        "contoso",
        "Alpine Ski House",
        "alpineski.onmicrosoft.com",
        "DE",
        "de",
        ("Lena Vogel", "lena.vogel@alpineski.example"),
        ("Jan Richter", "it@alpineski.example"),
    ),
    (
        "litware",
        "Kafe Istanbul",
        "kafeistanbul.onmicrosoft.com",
        "TR",
        "tr",
        ("Ayşe Demir", "ayse@kafeistanbul.example"),
        ("Emre Kaya", "emre@kafeistanbul.example"),
    ),
]


def seed(ctx) -> None:
    now = timezone.now()
    today = timezone.localdate()
    orgs, users = ctx.orgs, ctx.users

    SupportProfile.objects.update_or_create(
        org=orgs["contoso"],
        defaults=dict(
            delivery="direct",
            hours="Monday–Friday 8:00–18:00; severity A around the clock",
            time_zone="Europe/Warsaw",
            contact_email="support@contoso.example",
            contact_phone="+48 22 555 0199",
            contact_url="https://support.contoso.example",
            charging="part",
            pricing="Included: incidents with your subscriptions. Charged: on-site visits and migrations, €90 per hour.",
        ),
    )
    SupportProfile.objects.update_or_create(
        org=orgs["litware"],
        defaults=dict(
            delivery="outsourced",
            provider_company="Adatum Cloud Distribution",
            outsourced_scope="part",
            hours="Pazartesi–Cuma 9:00–18:00",
            time_zone="Europe/Istanbul",
            contact_email="destek@litware.example",
            charging="free",
        ),
    )
    CollectionsPolicy.objects.update_or_create(
        org=orgs["contoso"],
        defaults=dict(reminder_days_before=[7, 1], reminder_days_after=[1, 7], suspend_after_days=14),
    )

    customers = {}
    for org_key, company, tenant, country, lang, billing, tech in CUSTOMERS:
        org = orgs[org_key]
        customer, _ = Customer.objects.update_or_create(
            org=org,
            tenant_domain=tenant,
            defaults=dict(
                company=company,
                country=country,
                language=lang,
                partner_of_record=org,
                billing_contact_name=billing[0],
                billing_contact_email=billing[1],
                technical_contact_name=tech[0],
                technical_contact_email=tech[1],
            ),
        )
        customers[tenant.split(".")[0]] = customer
        for name, email in (tech, billing):
            if not CustomerContact.objects.filter(customer=customer, email=email).exists():
                token = new_token()
                CustomerContact.objects.create(
                    org=org,
                    customer=customer,
                    name=name,
                    email=email,
                    language=lang,
                    token_hash=hash_token(token),
                    link_sent_at=now,
                )
                if org_key == "contoso" and email == tech[1] and company.startswith("Hotel"):
                    ctx.say(f"Customer support page (Hotel Nord, {name}): /support/c/{token}/")

    for key, service, plan, seats, price, cycle, paid_through in [
        ("hotelnord", "exchange_online", "Exchange Online Plan 1", 40, "3.60", "monthly", None),
        ("hotelnord", "teams", "Microsoft 365 Business Standard", 40, "11.70", "monthly", None),
        ("blueyonder", "azure", "Azure plan", 1, "2400.00", "monthly", None),
        ("blueyonder", "m365_apps", "Microsoft 365 E3", 250, "33.00", "annual", today + dt.timedelta(days=200)),
        ("alpineski", "sharepoint_online", "SharePoint Online Plan 1", 25, "4.70", "monthly", None),
        ("kafeistanbul", "exchange_online", "Exchange Online Plan 1", 8, "3.60", "monthly", None),
    ]:
        c = customers[key]
        Subscription.objects.get_or_create(
            customer=c,
            service=service,
            defaults=dict(
                org=c.org,
                plan=plan,
                seats=seats,
                unit_price=Decimal(price),
                currency="EUR",
                billing_cycle=cycle,
                paid_through=paid_through,
            ),
        )

    incident, _ = ServiceHealthIncident.objects.get_or_create(
        title="Delayed inbound mail in Europe",
        defaults=dict(
            service="exchange_online",
            regions=["europe"],
            status="degraded",
            started_at=now - dt.timedelta(hours=3),
            public_description="Some users in Europe see inbound e-mail delayed by up to 40 minutes. Engineers are "
            "rerouting traffic; no mail is lost.",
            created_by=users["staff"],
        ),
    )
    ServiceHealthIncident.objects.get_or_create(
        title="Teams meeting recordings unavailable",
        defaults=dict(
            service="teams",
            regions=["north_america"],
            status="resolved",
            started_at=now - dt.timedelta(days=6),
            ended_at=now - dt.timedelta(days=5),
            public_description="Recordings could not be played. Resolved.",
            created_by=users["staff"],
        ),
    )

    sven = users["sven"]
    hn, by, al = customers["hotelnord"], customers["blueyonder"], customers["alpineski"]
    specs = [
        # customer, subject, category, service, severity, status, hours ago, assignee
        (hn, "No inbound mail since 8:00", "technical", "exchange_online", "A", "new", 3, None),
        (by, "Azure VM cannot reach on-premises network", "technical", "azure", "B", "diagnosing", 5, sven),
        (
            al,
            "How do I share a SharePoint site with a supplier?",
            "technical",
            "sharepoint_online",
            "C",
            "waiting_on_customer",
            30,
            sven,
        ),
        (by, "Teams calls drop for all users in Chicago", "technical", "teams", "A", "escalated", 20, sven),
        (hn, "Invoice shows 45 seats, we have 40", "billing", "exchange_online", "C", "resolved", 72, users["alice"]),
        (al, "Quote for 10 more Business Standard licences", "commercial", "m365_apps", "C", "closed", 200, sven),
        (hn, "Shared mailbox permissions", "technical", "exchange_online", "B", "diagnosing", 30, None),
    ]
    for customer, subject, category, service, severity, status, hours, assignee in specs:
        if SupportRequest.objects.filter(org=customer.org, subject=subject).exists():
            continue
        created = now - dt.timedelta(hours=hours)
        contact = customer.contacts.order_by("id").first()
        req = SupportRequest.objects.create(
            org=customer.org,
            customer=customer,
            requester=contact,
            requester_name=contact.name,
            requester_email=contact.email,
            category=category,
            service=service,
            severity=severity,
            subject=subject,
            description=f"{subject}. Reported by {contact.name}.",
            status=status,
            assignee=assignee,
            created_at=created,
            updated_at=created,
            first_response_due_at=created + SupportRequest.FIRST_RESPONSE_TARGET[severity],
            resolution_due_at=created + SupportRequest.RESOLUTION_TARGET[severity],
            first_response_at=None
            if status == "new" or subject.startswith("Shared")
            else created + dt.timedelta(hours=1),
            resolved_at=created + dt.timedelta(hours=20) if status in ("resolved", "closed") else None,
            closed_at=created + dt.timedelta(hours=60) if status == "closed" else None,
            waiting_since=now - dt.timedelta(hours=4) if status == "waiting_on_customer" else None,
            health_checked_at=created + dt.timedelta(minutes=20) if status != "new" else None,
            health_checked_by=assignee if status != "new" else None,
            satisfaction=5 if status == "closed" else None,
        )
        if req.first_response_at:
            RequestMessage.objects.create(
                org=req.org,
                request=req,
                kind="reply",
                author=assignee or sven,
                author_name=(assignee or sven).get_full_name(),
                created_at=req.first_response_at,
                body="Thank you, we are looking into it and will update you shortly.",
            )
            RequestMessage.objects.create(
                org=req.org,
                request=req,
                kind="note",
                author=assignee or sven,
                author_name=(assignee or sven).get_full_name(),
                created_at=req.first_response_at,
                body="Checked service health first.",
            )
        if status == "escalated":
            Escalation.objects.create(
                org=req.org,
                request=req,
                category="regional_multitenant",
                explanation="Several tenants in the same region affected; no health incident.",
                vehicle="partner_cloud",
                target="vendor",
                vendor_ticket_number="2605040010001234",
                escalated_by=sven,
                escalated_at=created + dt.timedelta(hours=2),
            )

    # An indirect reseller's escalation, worked by its provider (Adatum).
    kafe = customers["kafeistanbul"]
    if not SupportRequest.objects.filter(org=kafe.org, subject="E-posta gelmiyor").exists():
        contact = kafe.contacts.order_by("id").first()
        created = now - dt.timedelta(hours=6)
        req = SupportRequest.objects.create(
            org=kafe.org,
            customer=kafe,
            requester=contact,
            requester_name=contact.name,
            requester_email=contact.email,
            category="technical",
            service="exchange_online",
            severity="A",
            subject="E-posta gelmiyor",
            description="Hiçbir kullanıcı e-posta alamıyor.",
            status="escalated",
            created_at=created,
            updated_at=created,
            first_response_due_at=created + dt.timedelta(hours=2),
            resolution_due_at=created + dt.timedelta(hours=24),
            first_response_at=created + dt.timedelta(minutes=50),
            health_checked_at=created + dt.timedelta(minutes=30),
            health_checked_by=users["leyla"],
        )
        Escalation.objects.create(
            org=kafe.org,
            request=req,
            category="service_unavailable",
            explanation="Mail flow stopped for the whole tenant; no service health incident covers it.",
            vehicle="indirect_provider",
            target="indirect_provider",
            provider_org=orgs["adatum"],
            escalated_by=users["leyla"],
            escalated_at=created + dt.timedelta(hours=1),
        )

    # Invoices at every stage of collections, relative to today (policy 7/1 before, 1/7 after, 14 to suspend).
    stages = [
        # number, customer, due in days, status, events (kind, days relative to due), suspended
        ("CON-2026-101", hn, 20, "open", [], False),
        ("CON-2026-102", by, 4, "open", [("reminder_before", -7)], False),
        (
            "CON-2026-103",
            al,
            -3,
            "overdue",
            [("reminder_before", -7), ("reminder_before", -1), ("reminder_after", 1), ("overdue", 1)],
            False,
        ),
        (
            "CON-2026-104",
            hn,
            -16,
            "overdue",
            [
                ("reminder_before", -7),
                ("reminder_before", -1),
                ("overdue", 1),
                ("reminder_after", 1),
                ("reminder_after", 7),
                ("suspended", 14),
            ],
            True,
        ),
        ("CON-2026-105", by, -30, "paid", [("reminder_before", -7), ("paid", -2)], False),
        (
            "CON-2026-107",
            by,
            -25,
            "paid",
            [
                ("reminder_before", -7),
                ("reminder_before", -1),
                ("overdue", 1),
                ("reminder_after", 1),
                ("reminder_after", 7),
                ("suspended", 14),
                ("paid", 17),
                ("reinstated", 17),
            ],
            False,
        ),
        (
            "CON-2026-108",
            by,
            -12,
            "overdue",
            [
                ("reminder_before", -7),
                ("reminder_before", -1),
                ("overdue", 1),
                ("reminder_after", 1),
                ("disputed", 2),
                ("dispute_settled", 9),
            ],
            False,
        ),
        (
            "CON-2026-106",
            al,
            -20,
            "disputed",
            [("reminder_before", -7), ("overdue", 1), ("reminder_after", 1), ("disputed", 3)],
            False,
        ),
    ]
    for number, customer, due_in, status, events, suspended in stages:
        due = today + dt.timedelta(days=due_in)
        subs_total = sum((s.monthly_total for s in customer.subscriptions.all()), Decimal("0"))
        inv, created = Invoice.objects.get_or_create(
            org=customer.org,
            number=number,
            defaults=dict(
                customer=customer,
                period_start=due - dt.timedelta(days=44),
                period_end=due - dt.timedelta(days=15),
                amount=subs_total or Decimal("100.00"),
                currency="EUR",
                issued_on=due - dt.timedelta(days=14),
                due_date=due,
                status=status,
                paid_at=now if status == "paid" else None,
                disputed_at=now if status == "disputed" else None,
                dispute_reason="Charged for 30 SharePoint seats; we have 25." if status == "disputed" else "",
                suspended_at=now - dt.timedelta(days=2) if suspended else None,
            ),
        )
        if not created:
            continue
        CollectionEvent.objects.bulk_create(
            [CollectionEvent(org=inv.org, invoice=inv, kind=k, day=due + dt.timedelta(days=d)) for k, d in events],
            ignore_conflicts=True,
        )
        if suspended:
            customer.subscriptions.filter(status="active", paid_through__isnull=True).update(
                status="suspended", suspended_by_invoice=inv
            )
