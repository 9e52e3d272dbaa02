"""Reads for the support app: every list is scoped to one organisation (or, for programme
staff, holds no customer contact details)."""

from __future__ import annotations

import datetime as dt

from django.db.models import CharField, Count, F, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from partnerportal.audit import object_type_of
from partnerportal.models import AuditEntry, Organisation

from .models import (
    CollectionEvent,
    CollectionsPolicy,
    Customer,
    Escalation,
    Invoice,
    ServiceHealthIncident,
    Subscription,
    SupportRequest,
)


def breached_q(now=None) -> Q:
    """Requests past a target, as SQL, agreeing with `SupportRequest.*_breached`. Due times
    already include past pauses; a request waiting on the customer right now has its clock
    stopped when the wait began, so it breaches only if that was already past the target."""
    now = now or timezone.now()
    open_ = Q(status__in=SupportRequest.OPEN_STATUSES)
    running = Q(waiting_since__isnull=True)
    first = (
        Q(first_response_at__isnull=True)
        & open_
        & ((running & Q(first_response_due_at__lt=now)) | Q(waiting_since__gt=F("first_response_due_at")))
    )
    first_late = Q(first_response_at__gt=F("first_response_due_at"))
    resolution = (
        Q(resolved_at__isnull=True)
        & open_
        & ((running & Q(resolution_due_at__lt=now)) | Q(waiting_since__gt=F("resolution_due_at")))
    )
    resolution_late = Q(resolved_at__gt=F("resolution_due_at"))
    return first | first_late | resolution | resolution_late


def request_queue(*, org: Organisation, filters: dict) -> QuerySet:
    qs = SupportRequest.objects.filter(org=org).select_related("customer", "assignee")
    status = filters.get("status")
    if status == "open":
        qs = qs.filter(status__in=SupportRequest.OPEN_STATUSES)
    elif status in SupportRequest.Status.values:
        qs = qs.filter(status=status)
    if filters.get("severity") in SupportRequest.Severity.values:
        qs = qs.filter(severity=filters["severity"])
    if filters.get("category") in SupportRequest.Category.values:
        qs = qs.filter(category=filters["category"])
    if filters.get("service"):
        qs = qs.filter(service=filters["service"])
    assignee = filters.get("assignee")
    if assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee and str(assignee).isdigit():
        qs = qs.filter(assignee_id=int(assignee))
    if filters.get("customer") and str(filters["customer"]).isdigit():
        qs = qs.filter(customer_id=int(filters["customer"]))
    if filters.get("breached"):
        qs = qs.filter(breached_q())
    return qs


def active_incidents(*, service: str | None = None) -> QuerySet:
    now = timezone.now()
    qs = ServiceHealthIncident.objects.filter(status__in=ServiceHealthIncident.ACTIVE_STATUSES).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=now)
    )
    if service:
        qs = qs.filter(service=service)
    return qs


def customer_list(*, org: Organisation, q: str = "") -> QuerySet:
    qs = Customer.objects.filter(org=org).annotate(
        active_subscriptions=Count("subscriptions", filter=Q(subscriptions__status=Subscription.Status.ACTIVE)),
        suspended_subscriptions=Count("subscriptions", filter=Q(subscriptions__status=Subscription.Status.SUSPENDED)),
    )
    if q:
        qs = qs.filter(Q(company__icontains=q) | Q(tenant_domain__icontains=q))
    return qs


def invoice_list(*, org: Organisation, filters: dict) -> QuerySet:
    qs = Invoice.objects.filter(org=org).select_related("customer")
    if filters.get("status") in Invoice.Status.values:
        qs = qs.filter(status=filters["status"])
    if filters.get("customer") and str(filters["customer"]).isdigit():
        qs = qs.filter(customer_id=int(filters["customer"]))
    return qs


def provider_escalations(*, provider: Organisation) -> QuerySet:
    return Escalation.objects.filter(provider_org=provider).select_related("org", "request", "request__customer")


def escalation_stats() -> dict:
    """Counts across partners for programme staff: no customers, no contacts."""
    base = Escalation.objects.all()

    def by(field, choices):
        labels = dict(choices)
        rows = base.values(field).annotate(n=Count("id")).order_by("-n")
        return [(str(labels.get(r[field], r[field])), r["n"]) for r in rows]

    per_org = base.values("org__name", "org__partner_id").annotate(n=Count("id")).order_by("-n", "org__name")[:20]
    return {
        "total": base.count(),
        "by_category": by("category", Escalation._meta.get_field("category").choices),
        "by_vehicle": by("vehicle", Escalation.Vehicle.choices),
        "by_status": by("status", Escalation.Status.choices),
        "by_target": by("target", Escalation.Target.choices),
        "per_org": list(per_org),
    }


def invoice_timeline(*, invoice: Invoice, policy: CollectionsPolicy, events=None, today: dt.date | None = None):
    """What happened and what will happen: past steps from CollectionEvent, future steps
    from the policy — 'reminder sent 3 May; suspension on 20 May unless paid'."""
    today = today or timezone.localdate()
    if events is None:
        events = list(invoice.collection_events.all())
    labels = dict(CollectionEvent.Kind.choices)
    items = [{"day": e.day, "label": str(labels[e.kind]), "kind": e.kind, "done": True} for e in events]
    done_days = {(e.kind, e.day) for e in events}
    if invoice.status in (Invoice.Status.OPEN, Invoice.Status.OVERDUE):
        for d in policy.reminder_days_before:
            day = invoice.due_date - dt.timedelta(days=d)
            if day >= today and ("reminder_before", day) not in done_days:
                items.append(
                    {"day": day, "label": pgettext("support", "Reminder"), "kind": "planned_reminder", "done": False}
                )
        if invoice.due_date >= today:
            items.append({"day": invoice.due_date, "label": _("Payment due"), "kind": "due", "done": False})
        for d in policy.reminder_days_after:
            day = invoice.due_date + dt.timedelta(days=d)
            if day >= today and ("reminder_after", day) not in done_days:
                items.append({"day": day, "label": _("Overdue reminder"), "kind": "planned_reminder", "done": False})
        if policy.suspend_after_days and invoice.suspended_at is None:
            day = max(invoice.due_date + dt.timedelta(days=policy.suspend_after_days), today)
            items.append(
                {
                    "day": day,
                    "label": _("Suspension of subscriptions unless paid"),
                    "kind": "planned_suspension",
                    "done": False,
                }
            )
    else:
        items.append({"day": invoice.due_date, "label": _("Payment due"), "kind": "due", "done": True})
    order = {"planned_reminder": 0, "due": 1, "planned_suspension": 2}
    items.sort(key=lambda i: (i["day"], not i["done"], order.get(i["kind"], 0)))
    return items


def timeline_summary(items: list[dict]) -> str:
    """One line, e.g. 'Reminder sent 3 May; suspension on 20 May unless paid.'"""
    from django.utils.formats import date_format

    last_done = next((i for i in reversed(items) if i["done"] and i["kind"] != "due"), None)
    suspension = next((i for i in items if i["kind"] == "planned_suspension"), None)
    parts = []
    if last_done:
        parts.append(_("%(step)s %(day)s") % {"step": last_done["label"], "day": date_format(last_done["day"], "j M")})
    if suspension:
        parts.append(_("suspension on %(day)s unless paid") % {"day": date_format(suspension["day"], "j M")})
    return "; ".join(parts)


def dashboard_counts(*, org: Organisation, user) -> dict:
    agg = SupportRequest.objects.filter(org=org, status__in=SupportRequest.OPEN_STATUSES).aggregate(
        open=Count("id"),
        mine=Count("id", filter=Q(assignee=user)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
        breached=Count("id", filter=breached_q()),
    )
    return agg


def overdue_counts(*, org: Organisation) -> dict:
    return Invoice.objects.filter(org=org).aggregate(
        overdue=Count("id", filter=Q(status=Invoice.Status.OVERDUE)),
        disputed=Count("id", filter=Q(status=Invoice.Status.DISPUTED)),
        due_soon=Count(
            "id",
            filter=Q(status=Invoice.Status.OPEN, due_date__lte=timezone.localdate() + dt.timedelta(days=7)),
        ),
    )


def request_history(req: SupportRequest) -> QuerySet[AuditEntry]:
    """The request's audit entries with those of its escalations (logged against the
    escalation), oldest first, with their actors: one query."""
    escalations = Escalation.objects.filter(request_id=req.pk).annotate(key=Cast("pk", CharField())).values("key")
    return (
        AuditEntry.objects.filter(
            Q(object_type=object_type_of(req), object_id=str(req.pk))
            | Q(object_type=Escalation._meta.label_lower, object_id__in=escalations)
        )
        .select_related("actor")
        .order_by("created_at", "id")
    )
