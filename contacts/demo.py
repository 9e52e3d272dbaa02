"""Demo data: call-center agents, registered callers and a few thousand contacts over
the last 90 days, spread over the taxonomy the way a real queue is (mostly post-sales
questions). Bulk-created; running it twice adds nothing."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from partnerportal.demo import DEMO_PASSWORD
from partnerportal.models import User

from .models import ActionTaken, CallerCustomer, Contact, DeliveryChannel, InteractionType, Market, Team
from .services import COMPLAINT_PATH, phone_digits
from .taxonomy import get_tree

CALLER_DOMAIN = "customer.example"
AGENTS = [
    ("maria.agent@vendor.example", "Maria Sokolova"),
    ("dmitri.agent@vendor.example", "Dmitri Volkov"),
    ("sofia.agent@vendor.example", "Sofia Lindqvist"),
]
FIRST = [
    "Anna",
    "Boris",
    "Olga",
    "Ivan",
    "Elena",
    "Pavel",
    "Natalia",
    "Sergei",
    "Irina",
    "Maxim",
    "Julia",
    "Andrei",
    "Kate",
    "Tom",
    "Laura",
    "Marco",
    "Ana",
    "Lukas",
    "Emma",
    "Jonas",
]
LAST = [
    "Ivanova",
    "Petrov",
    "Smirnova",
    "Kuznetsov",
    "Popova",
    "Sokolov",
    "Lebedeva",
    "Novikov",
    "Morozova",
    "Fischer",
    "Rossi",
    "Nowak",
    "Silva",
    "Berg",
    "Jensen",
    "Moreau",
    "Kowalski",
    "Yilmaz",
]
COMPANIES = [
    "",
    "",
    "Sever Trade LLC",
    "Baltic Logistics",
    "Ural Pharma",
    "Neva Design",
    "Kama Motors",
    "Volga Foods",
    "Nordlicht GmbH",
    "Solaris School",
    "Aurora Clinic",
    "Orion Retail",
]
PRODUCTS = [
    "Windows 11",
    "Windows 10",
    "Microsoft 365 Business",
    "Office 2021",
    "Windows Server 2022",
    "SQL Server",
    "Visual Studio",
    "Exchange Server",
    "Azure",
    "Dynamics 365",
    "MSDN subscription",
    "TechNet subscription",
]
L1_WEIGHTS = {
    "Post-Sales Inquiry": 34,
    "Pre Sales Inquiry": 18,
    "Subscription": 15,
    "Order Management": 8,
    "Feedback": 7,
    "Disconnect/Hung-up": 6,
    "Program": 4,
    "Event Management": 3,
    "Inbound Campaign": 3,
    "Sales Lead": 2,
}
COMPLAINTS = [
    "Waited more than 30 minutes on hold before reaching an agent.",
    "The product key printed on the box was rejected during activation.",
    "Was charged twice for the same subscription renewal.",
    "The replacement media promised two weeks ago has not arrived.",
    "Was transferred three times and had to repeat the problem each time.",
    "The web shop cancelled the order without any notice.",
    "Nobody called back although a callback was promised yesterday.",
]
NOTES = [
    "Explained the steps and the customer confirmed it works.",
    "Sent the knowledge-base article by e-mail.",
    "Customer will try again tonight and call back if needed.",
    "Checked the order in the system; shipping confirmed.",
    "Gave the licensing options and the price list link.",
    "",
]


def seed(ctx) -> None:
    agents = [ctx.users["agent"]]
    for email, name in AGENTS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=DEMO_PASSWORD, full_name=name, is_call_center_agent=True
            )
        agents.append(user)
        ctx.users[email.split("@")[0]] = user
        ctx.logins.append((email, "call-center agent"))
    if Contact.objects.filter(agent__in=agents).exists():
        return
    rng = random.Random(2026)
    callers = list(CallerCustomer.objects.filter(email__endswith="@" + CALLER_DOMAIN))
    if not callers:
        new = []
        for i in range(300):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            phone = f"+7 {rng.randint(800, 999)} 555-{rng.randint(10, 99)}-{i % 100:02d}"
            new.append(
                CallerCustomer(
                    name=f"{first} {last}",
                    email=f"{first.lower()}.{last.lower()}{i}@{CALLER_DOMAIN}",
                    phone=phone,
                    phone_digits=phone_digits(phone),
                    company=rng.choice(COMPANIES),
                    created_by=rng.choice(agents),
                )
            )
        callers = CallerCustomer.objects.bulk_create(new)

    tree = get_tree()
    leaves_by_root = {}
    for root_id in tree.roots:
        root = tree.nodes[root_id]
        leaves_by_root[root.label_en] = [
            n for n in tree.preorder if n.path[0] == root.label_en and tree.is_selectable_leaf(n)
        ]
    roots = [r for r in L1_WEIGHTS if leaves_by_root.get(r)]
    weights = [L1_WEIGHTS[r] for r in roots]
    partners = list(ctx.orgs.values())
    now = timezone.now()
    contacts = []
    for _ in range(3000):
        root = rng.choices(roots, weights)[0]
        node = rng.choice(leaves_by_root[root])
        day = now - dt.timedelta(days=rng.triangular(0, 90, 0))
        created = day.replace(hour=rng.randint(8, 19), minute=rng.randint(0, 59), second=rng.randint(0, 59))
        if created > now:
            created = now - dt.timedelta(minutes=rng.randint(1, 600))
        action = _action_for(rng, root)
        notes = rng.choice(NOTES)
        if tuple(node.path) == COMPLAINT_PATH:
            notes = "Complaint Details: " + rng.choice(COMPLAINTS) + (f"\n\n{notes}" if notes else "")
            action = rng.choice([ActionTaken.FEEDBACK_RECORDED] * 3 + [ActionTaken.RESOLVED, ActionTaken.TRANSFERRED])
        referred_team, referred_org = "", None
        if action in (ActionTaken.REFERRED, ActionTaken.TRANSFERRED):
            if rng.random() < 0.3 and partners:
                referred_org = rng.choice(partners)
            else:
                referred_team = rng.choice(Team.values)
        open_ = action in (ActionTaken.CALLBACK_SCHEDULED, ActionTaken.ESCALATED) and root != "Feedback"
        open_ = open_ and (now - created).days < 7
        ancestors = node.ancestor_ids
        contacts.append(
            Contact(
                agent=rng.choice(agents),
                created_at=created,
                reason_id=node.id,
                reason_l1_id=ancestors[0] if ancestors else node.id,
                reason_l2_id=(ancestors[1] if len(ancestors) > 1 else node.id) if node.level > 1 else None,
                product=rng.choice(PRODUCTS) if root != "Disconnect/Hung-up" else "",
                market=rng.choice(Market.values),
                interaction_type=rng.choices(InteractionType.values, [70, 8, 10, 8, 2, 1, 1])[0],
                referred_team=referred_team,
                referred_org=referred_org,
                caller=None if root == "Disconnect/Hung-up" or rng.random() < 0.15 else rng.choice(callers),
                delivery_channel=rng.choice(DeliveryChannel.values),
                action_taken=action,
                notes=notes,
                duration_seconds=rng.randint(20, 60) if root == "Disconnect/Hung-up" else rng.randint(90, 1500),
                follow_up_date=(created + dt.timedelta(days=2)).date()
                if action == ActionTaken.CALLBACK_SCHEDULED
                else None,
                status=Contact.Status.OPEN if open_ else Contact.Status.CLOSED,
            )
        )
    Contact.objects.bulk_create(contacts, batch_size=1000)
    ctx.say(f"contacts: {len(contacts)} demo contacts, {len(callers)} callers")


def _action_for(rng, root: str) -> str:
    if root == "Disconnect/Hung-up":
        return ActionTaken.CUSTOMER_DISCONNECTED
    if root == "Feedback":
        return ActionTaken.FEEDBACK_RECORDED
    if root == "Sales Lead":
        return rng.choice([ActionTaken.REFERRED, ActionTaken.TRANSFERRED])
    return rng.choices(
        [
            ActionTaken.RESOLVED,
            ActionTaken.INFORMATION_PROVIDED,
            ActionTaken.REFERRED,
            ActionTaken.TRANSFERRED,
            ActionTaken.ESCALATED,
            ActionTaken.CALLBACK_SCHEDULED,
        ],
        [35, 35, 10, 10, 5, 5],
    )[0]
