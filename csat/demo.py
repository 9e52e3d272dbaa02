"""Demo survey data: organisations below, at and just above the requirement, named and
anonymous responses in several languages, and a training partner with evaluations."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from .models import Contact, Invitation, MtmEvaluation, Question, Response, customer_org_key
from .services import settings_for

CUSTOMERS = [
    ("Adventure Works", "en"),
    ("Fourth Coffee", "zh-hans"),
    ("Wingtip Toys", "de"),
    ("Blue Yonder Airlines", "fr"),
    ("Margie's Travel", "ja"),
    ("Trey Research", "he"),
    ("Proseware", "pl"),
    ("Lucerne Publishing", "es"),
]
NAMES = [
    ("Ana", "Kovač"),
    ("明", "王"),
    ("Jonas", "Weber"),
    ("Chloé", "Martin"),
    ("花子", "山田"),
    ("נועה", "כהן"),
    ("Piotr", "Zieliński"),
    ("Lucía", "García"),
]
COMMENTS = {
    "en": "Quick answers and a clear project plan.",
    "zh-hans": "项目交付及时，沟通顺畅。",
    "de": "Sehr kompetentes Team, gerne wieder.",
    "fr": "Bonne réactivité, documentation à améliorer.",
    "ja": "丁寧な対応でした。",
    "he": "שירות מצוין ומהיר.",
    "pl": "Świetna współpraca.",
    "es": "Muy profesionales.",
}

# org key -> responses per customer organisation (index into CUSTOMERS), anonymous share
PLANS = {
    "contoso": [9, 3, 2],  # met: 8 counted from the first (1 over the cap) + 5 = 13
    "fabrikam": [6, 4],  # exactly at the requirement: 10 from 2 organisations
    "tailspin-services": [8],  # below: 8 from one organisation, "2 more from any other"
    "tailspin-software": [3, 2, 1],  # below: 6
    "adatum": [4, 4, 3],  # just above: 11
}


def _domain(company: str) -> str:
    return company.split()[0].lower().replace("'", "")


def seed(ctx) -> None:
    rng = random.Random(2026)  # noqa: S311 - demo data
    now = timezone.now()
    for key, plan in PLANS.items():
        org = ctx.orgs[key]
        s = settings_for(org=org)
        if key == "contoso" and not s.monthly_report:
            s.monthly_report = True
            s.save(update_fields=["monthly_report"])
        if Response.objects.filter(org=org).exists():
            continue
        responses = []
        n = 0
        for ci, count in enumerate(plan):
            company, lang = CUSTOMERS[(ci + len(key)) % len(CUSTOMERS)]
            for i in range(count):
                n += 1
                anonymous = i % 3 == 2
                first, last = NAMES[(n + ci) % len(NAMES)]
                rec = rng.choice([10, 9, 9, 8, 7, 10, 6, 9])
                responses.append(
                    Response(
                        org=org,
                        source=Response.Source.OPEN_LINK,
                        is_anonymous=anonymous,
                        respondent_name="" if anonymous else f"{first} {last}",
                        respondent_email="" if anonymous else f"customer{n}@{_domain(company)}.example",
                        customer_org=company,
                        customer_org_key=customer_org_key(company),
                        language=lang,
                        submitted_at=now - dt.timedelta(days=2 + 4 * n, hours=n),
                        satisfaction=min(5, max(1, round(rec / 2))),
                        keep_business=rng.choice([4, 5, 5, 3]),
                        engage_again=rng.choice([4, 5, 4, 3]),
                        recommend=rec,
                        comment=COMMENTS[lang] if n % 2 else "",
                    )
                )
        Response.objects.bulk_create(responses)

    contoso = ctx.orgs["contoso"]
    if not Question.objects.filter(org=contoso).exists():
        Question.objects.bulk_create(
            [
                Question(
                    org=contoso,
                    kind=Question.Kind.SINGLE,
                    texts={
                        "en": "Which service did you use?",
                        "de": "Welchen Service haben Sie genutzt?",
                        "ja": "どのサービスを利用しましたか?",
                    },
                    choices=[
                        {"key": "c1", "texts": {"en": "Migration", "de": "Migration", "ja": "移行"}},
                        {
                            "key": "c2",
                            "texts": {"en": "Managed services", "de": "Managed Services", "ja": "運用サービス"},
                        },
                    ],
                    order=10,
                ),
                Question(
                    org=contoso, kind=Question.Kind.RATING, texts={"en": "How clear was our documentation?"}, order=20
                ),
            ]
        )
    if not Contact.objects.filter(org=contoso).exists():
        contacts = [
            Contact(
                org=contoso,
                first_name=first,
                last_name=last,
                email=f"contact{i}@{_domain(CUSTOMERS[i % 8][0])}.example",
                customer_org=CUSTOMERS[i % 8][0],
                customer_org_key=customer_org_key(CUSTOMERS[i % 8][0]),
                language=CUSTOMERS[i % 8][1],
                consent=i % 5 != 4,
            )
            for i, (first, last) in enumerate(NAMES * 3)
        ]
        Contact.objects.bulk_create(contacts)
        invited = [c for c in Contact.objects.filter(org=contoso, consent=True).order_by("id")[:8]]
        Invitation.objects.bulk_create(
            [
                Invitation(
                    org=contoso,
                    contact=c,
                    language=c.language,
                    created_at=now - dt.timedelta(days=9),
                    sent_at=now - dt.timedelta(days=9),
                    token_hash=f"demo-{c.pk}",
                    responded_at=now - dt.timedelta(days=3) if i % 4 == 0 else None,
                )
                for i, c in enumerate(invited)
            ]
        )
    northwind = ctx.orgs["northwind"]
    if not MtmEvaluation.objects.filter(org=northwind).exists():
        MtmEvaluation.objects.bulk_create(
            [
                MtmEvaluation(
                    org=northwind,
                    reference=f"MTM-2026-{i:04d}",
                    course=["Azure Fundamentals", "Power BI in a Day", "Security Essentials"][i % 3],
                    completed_at=now - dt.timedelta(days=12 * i + 3),
                    score=8 + (i % 3) * 0.5,
                )
                for i in range(1, 12)
            ]
        )
    from .services import compliance_refresh

    compliance_refresh()
    ctx.say("CSAT: survey responses, contacts and evaluations seeded.")
