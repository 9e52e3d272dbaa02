"""Demo organisations and people for local use (`python manage.py seed_demo`).

Idempotent: every row is found by its natural key before it is created. Apps add their own
demo data in `<app>/demo.py` with a `seed(ctx)` function, called after this one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from .models import Location, Membership, Organisation, ParentCompany, Role, User

DEMO_PASSWORD = "portal-demo-2026"  # noqa: S105 - published demo password for local use


@dataclass
class DemoContext:
    orgs: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)  # (email, what they can do)
    stdout: object = None

    def say(self, text: str) -> None:
        if self.stdout:
            self.stdout.write(text)


ORGS = [
    # key, name, partner_id, level, competencies, csp, renewal in days, country, language
    (
        "contoso",
        "Contoso Solutions",
        "PP-100001",
        "gold",
        ["cloud_productivity", "security"],
        "direct",
        120,
        "US",
        "en",
    ),
    ("fabrikam", "Fabrikam Consulting", "PP-100002", "silver", ["cloud_platform"], "direct", 200, "DE", "de"),
    ("northwind", "Northwind Learning", "PP-100003", "gold", ["learning"], "none", 60, "GB", "en-gb"),
    (
        "adatum",
        "Adatum Cloud Distribution",
        "PP-100004",
        "gold",
        ["cloud_platform"],
        "indirect_provider",
        300,
        "PL",
        "pl",
    ),
    ("litware", "Litware Reseller", "PP-100005", "smb", [], "indirect_reseller", 90, "TR", "tr"),
    ("tailspin-services", "Tailspin Services", "PP-100006", "gold", ["collaboration"], "direct", 150, "JP", "ja"),
    (
        "tailspin-software",
        "Tailspin Software",
        "PP-100007",
        "silver",
        ["application_development"],
        "none",
        40,
        "JP",
        "ja",
    ),
    ("woodgrove", "Woodgrove Partners", "PP-100008", "none", [], "direct", 330, "RU", "ru"),
]

PEOPLE = [
    # email, name, language, org key, roles, description
    (
        "alice@contoso.example",
        "Alice Admin",
        "en",
        "contoso",
        [Role.PARTNER_ADMIN],
        "partner admin, Contoso (every role)",
    ),
    ("sam@contoso.example", "Sam Survey", "en", "contoso", [Role.SURVEY_ADMIN], "survey admin, Contoso"),
    ("rita@contoso.example", "Rita Referral", "en", "contoso", [Role.REFERRAL_ADMIN], "referral admin, Contoso"),
    ("sven@contoso.example", "Sven Support", "en", "contoso", [Role.SUPPORT_AGENT], "support agent, Contoso"),
    ("bella@contoso.example", "Bella Billing", "en", "contoso", [Role.BILLING_ADMIN], "billing admin, Contoso"),
    ("sid@contoso.example", "Sid Sales", "en", "contoso", [Role.SALES_AGENT], "sales agent, Contoso"),
    ("uma@contoso.example", "Uma Users", "en", "contoso", [Role.USER_ADMIN], "user-management admin, Contoso"),
    ("bob@contoso.example", "Bob Member", "en", "contoso", [], "member of Contoso without roles"),
    ("charlie@fabrikam.example", "Charlie Admin", "de", "fabrikam", [Role.PARTNER_ADMIN], "partner admin, Fabrikam"),
    (
        "nora@northwind.example",
        "Nora Admin",
        "en-gb",
        "northwind",
        [Role.PARTNER_ADMIN],
        "partner admin, Northwind (training partner)",
    ),
    (
        "piotr@adatum.example",
        "Piotr Provider",
        "pl",
        "adatum",
        [Role.PARTNER_ADMIN],
        "partner admin, Adatum (indirect provider)",
    ),
    (
        "leyla@litware.example",
        "Leyla Reseller",
        "tr",
        "litware",
        [Role.PARTNER_ADMIN],
        "partner admin, Litware (indirect reseller)",
    ),
    (
        "kenji@tailspin.example",
        "Kenji Tanaka",
        "ja",
        "tailspin-services",
        [Role.PARTNER_ADMIN],
        "partner admin of both Tailspin memberships",
    ),
]


def seed_core(ctx: DemoContext) -> None:
    today = timezone.localdate()
    tailspin, _ = ParentCompany.objects.get_or_create(name="Tailspin Group")
    for key, name, pid, level, comps, csp, renew_days, country, lang in ORGS:
        org, _ = Organisation.objects.update_or_create(
            partner_id=pid,
            defaults=dict(
                name=name,
                membership_level=level,
                competencies=comps,
                csp_relationship=csp,
                renewal_date=today + dt.timedelta(days=renew_days),
                country=country,
                default_language=lang,
                account_email=f"programme@{key.split('-')[0]}.example",
                parent_company=tailspin if key.startswith("tailspin") else None,
                indirect_provider=ctx.orgs.get("adatum") if csp == "indirect_reseller" else None,
                support_contract="premier" if key == "fabrikam" else ("advanced" if key == "adatum" else "none"),
            ),
        )
        ctx.orgs[key] = org

    locations = [
        (
            "contoso",
            "Seattle",
            "1 Harbor Way",
            "Seattle",
            "US",
            "Dana Lee",
            "dana.lee@contoso.example",
            "+1 206 555 0100",
        ),
        (
            "contoso",
            "Warsaw",
            "ul. Prosta 20",
            "Warszawa",
            "PL",
            "Ewa Nowak",
            "ewa.nowak@contoso.example",
            "+48 22 555 0100",
        ),
        (
            "fabrikam",
            "Munich",
            "Leopoldstraße 1",
            "München",
            "DE",
            "Jonas Weber",
            "jonas@fabrikam.example",
            "+49 89 555 0100",
        ),
        ("northwind", "London", "10 Fleet Street", "London", "GB", "Nora Admin", "nora@northwind.example", ""),
        ("adatum", "Kraków", "ul. Długa 5", "Kraków", "PL", "Piotr Provider", "piotr@adatum.example", ""),
        ("litware", "Istanbul", "Büyükdere Cd. 1", "İstanbul", "TR", "Leyla Reseller", "leyla@litware.example", ""),
        ("tailspin-services", "Tokyo", "1-1 Marunouchi", "東京", "JP", "Kenji Tanaka", "kenji@tailspin.example", ""),
        ("tailspin-software", "Osaka", "2-2 Umeda", "大阪", "JP", "Kenji Tanaka", "kenji@tailspin.example", ""),
        ("woodgrove", "Moscow", "Tverskaya 1", "Москва", "RU", "Olga Ivanova", "olga@woodgrove.example", ""),
    ]
    for key, name, address, city, country, cname, cemail, cphone in locations:
        Location.objects.update_or_create(
            org=ctx.orgs[key],
            name=name,
            defaults=dict(
                address=address,
                city=city,
                country=country,
                contact_name=cname,
                contact_email=cemail,
                contact_phone=cphone,
            ),
        )

    for email, name, lang, org_key, roles, description in PEOPLE:
        user = _user(email, name, lang)
        Membership.objects.update_or_create(
            user=user, org=ctx.orgs[org_key], defaults={"roles": [str(r) for r in roles], "is_active": True}
        )
        ctx.users[email.split("@")[0]] = user
        ctx.logins.append((email, description))
    # Kenji holds both Tailspin memberships: compliance is met separately for each.
    Membership.objects.update_or_create(
        user=ctx.users["kenji"],
        org=ctx.orgs["tailspin-software"],
        defaults={"roles": [Role.PARTNER_ADMIN], "is_active": True},
    )

    programme_group = _programme_staff_group()
    agent = _user("agent@vendor.example", "Ali Agent", "en", is_call_center_agent=True)
    ctx.users["agent"] = agent
    ctx.logins.append((agent.email, "call-center agent"))
    supervisor = _user("staff@vendor.example", "Petra Programme", "en", is_programme_staff=True, is_staff=True)
    supervisor.groups.add(programme_group)
    ctx.users["staff"] = supervisor
    ctx.logins.append((supervisor.email, "programme staff and call-center supervisor (admin site, aggregates)"))
    admin = _user("admin@vendor.example", "Site Admin", "en", is_staff=True, is_superuser=True, is_programme_staff=True)
    ctx.users["admin"] = admin
    ctx.logins.append((admin.email, "superuser (admin site, outbox)"))


def _user(email: str, name: str, lang: str, **flags) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=name, language=lang, **flags)
    else:
        for key, value in flags.items():
            setattr(user, key, value)
        user.save()
    return user


# Models programme staff may see in the admin. Anything holding a partner's customer
# contact details stays out of this list (the programme's privacy promise).
PROGRAMME_STAFF_PERMISSIONS = [
    ("partnerportal", "organisation", ["view", "change"]),
    ("partnerportal", "parentcompany", ["view", "change", "add"]),
    ("partnerportal", "location", ["view"]),
    ("partnerportal", "membership", ["view"]),
    ("partnerportal", "auditentry", ["view"]),
]


def _programme_staff_group() -> Group:
    group, _ = Group.objects.get_or_create(name="Programme staff")
    from django.apps import apps

    perms = list(PROGRAMME_STAFF_PERMISSIONS)
    for config in apps.get_app_configs():
        perms.extend(getattr(config, "programme_staff_permissions", []))
    wanted = []
    for app_label, model, actions in perms:
        for action in actions:
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=f"{action}_{model}").first()
            if perm:
                wanted.append(perm)
    group.permissions.set(wanted)
    return group
