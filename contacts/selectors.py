"""Reads: lists, searches and report aggregates."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek, Upper
from django.http import Http404
from django.utils import timezone

from partnerportal.models import User

from .models import ActionTaken, CallerCustomer, Contact, InteractionType
from .services import COMPLAINT_PATH, phone_digits
from .taxonomy import get_tree


def contact_list(*, user, filters: dict | None = None):
    """Agents see the contacts they logged; supervisors see everyone's."""
    filters = filters or {}
    qs = Contact.objects.select_related("agent", "caller", "referred_org")
    if not user.is_programme_staff:
        qs = qs.filter(agent=user)
    elif filters.get("agent"):
        qs = qs.filter(agent_id=filters["agent"])
    reason_id = filters.get("reason")
    if reason_id:
        node = get_tree().get(reason_id)
        if node is not None:
            column = {1: "reason_l1_id", 2: "reason_l2_id", 3: "reason_id"}[node.level]
            qs = qs.filter(**{column: node.id})
    for name in ("interaction_type", "action_taken", "status"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("date_from"):
        qs = qs.filter(created_at__gte=_start_of(filters["date_from"]))
    if filters.get("date_to"):
        qs = qs.filter(created_at__lt=_start_of(filters["date_to"] + dt.timedelta(days=1)))
    return qs


def get_contact_for_user(*, user, pk: int) -> Contact:
    qs = Contact.objects.select_related("agent", "caller", "referred_org")
    if not user.is_programme_staff:
        qs = qs.filter(agent=user)
    contact = qs.filter(pk=pk).first()
    if contact is None:
        raise Http404
    return contact


def caller_search(*, query: str, limit: int = 10) -> list[CallerCustomer]:
    query = (query or "").strip()
    if len(query) < 2:
        return []
    condition = Q(name__icontains=query) | Q(email__istartswith=query) | Q(company__icontains=query)
    digits = phone_digits(query)
    if len(digits) >= 3:
        condition |= Q(phone_digits__contains=digits)
    return list(CallerCustomer.objects.filter(condition).order_by(Upper("name"), "id")[:limit])


def caller_recent_contacts(*, caller: CallerCustomer, limit: int = 5) -> list[Contact]:
    return list(Contact.objects.filter(caller=caller).select_related("agent").order_by("-created_at", "-id")[:limit])


def contact_today_summary(*, agent) -> dict:
    start = _start_of(timezone.localdate())
    qs = Contact.objects.filter(agent=agent, created_at__gte=start)
    agg = qs.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status=Contact.Status.OPEN)),
    )
    recent = list(qs.order_by("-created_at", "-id")[:5])
    tree = get_tree()
    return {"today_total": agg["total"], "today_open": agg["open"], "today_recent": recent, "tree": tree}


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# ---------------------------------------------------------------------------
# Reports: one GROUP BY per dimension over the covering index contact_report_cover.

DIMENSIONS = ("reason", "interaction_type", "action_taken", "agent", "period")
PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def report_base(*, date_from: dt.date, date_to: dt.date):
    return Contact.objects.filter(
        created_at__gte=_start_of(date_from), created_at__lt=_start_of(date_to + dt.timedelta(days=1))
    ).order_by()


def report_by_reason(*, date_from: dt.date, date_to: dt.date, parent_id: int | None = None) -> list[dict]:
    """Counts per reason one level below `parent_id` (per level-1 reason without it). A
    node's count includes every contact logged under its descendants."""
    tree = get_tree()
    qs = report_base(date_from=date_from, date_to=date_to)
    parent = tree.get(parent_id) if parent_id else None
    if parent is None:
        column = "reason_l1_id"
    elif parent.level == 1:
        qs, column = qs.filter(reason_l1_id=parent.id), "reason_l2_id"
    else:
        qs, column = qs.filter(reason_l2_id=parent.id), "reason_id"
    rows = qs.values(column).annotate(n=Count("id"))
    counts = {r[column]: r["n"] for r in rows}
    out = []
    child_ids = parent.children if parent else tree.roots
    for cid in child_ids:
        node = tree.nodes[cid]
        n = counts.pop(cid, 0)
        if n or node.selectable:
            out.append({"node": node, "count": n, "drill": bool(node.children) and n > 0})
    # A contact logged on a level-2 leaf has no level-3 row under it: it stays on the parent.
    leftover = sum(counts.values())
    out.sort(key=lambda r: (-r["count"], r["node"].order))
    return out if not leftover else [*out, {"node": None, "count": leftover, "drill": False}]


def report_by_choice(*, field: str, date_from: dt.date, date_to: dt.date) -> list[dict]:
    choices = {"interaction_type": InteractionType, "action_taken": ActionTaken}[field]
    labels = dict(choices.choices)
    rows = report_base(date_from=date_from, date_to=date_to).values(field).annotate(n=Count("id")).order_by("-n")
    return [{"key": r[field], "label": labels.get(r[field], r[field]), "count": r["n"]} for r in rows]


def report_by_agent(*, date_from: dt.date, date_to: dt.date) -> list[dict]:
    rows = list(
        report_base(date_from=date_from, date_to=date_to).values("agent_id").annotate(n=Count("id")).order_by("-n")
    )
    agents = User.objects.in_bulk([r["agent_id"] for r in rows])
    return [
        {
            "key": r["agent_id"],
            "label": (agents[r["agent_id"]].full_name or agents[r["agent_id"]].email)
            if r["agent_id"] in agents
            else r["agent_id"],
            "count": r["n"],
        }
        for r in rows
    ]


def report_by_period(*, date_from: dt.date, date_to: dt.date, period: str = "day") -> list[dict]:
    trunc = PERIODS.get(period, TruncDay)
    rows = (
        report_base(date_from=date_from, date_to=date_to)
        .annotate(bucket=trunc("created_at"))
        .values("bucket")
        .annotate(n=Count("id"))
        .order_by("bucket")
    )
    return [{"key": r["bucket"].date(), "count": r["n"]} for r in rows]


def complaint_node():
    tree = get_tree()
    for node in tree.nodes.values():
        if tuple(node.path) == COMPLAINT_PATH:
            return node
    return None


def complaint_list(*, date_from: dt.date, date_to: dt.date):
    node = complaint_node()
    if node is None:
        return Contact.objects.none()
    return (
        report_base(date_from=date_from, date_to=date_to)
        .filter(reason_id=node.id)
        .select_related("agent")
        .order_by("-created_at", "-id")
    )
