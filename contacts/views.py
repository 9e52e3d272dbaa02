from __future__ import annotations

import csv
import datetime as dt

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from partnerportal import charts
from partnerportal.audit import audit_history
from partnerportal.errors import DomainError
from partnerportal.exports import neutralise
from partnerportal.models import User
from partnerportal.pagination import keyset_page
from partnerportal.tenancy import agent_required, programme_staff_required

from . import selectors, services
from .forms import PRODUCT_SUGGESTIONS, ContactCorrectForm, ContactFilterForm, ContactForm, apply_domain_error
from .models import CallerCustomer
from .taxonomy import get_tree

ORDERING = ("-created_at", "-id")


@never_cache
@agent_required
def contact_new(request):
    """The agent's screen. Saving redirects to a fresh, empty form: nothing about one
    caller is carried into the next contact (no session state, no browser autofill)."""
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                contact = form.save(agent=request.user)
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(
                    request,
                    format_html(
                        '{} <a href="{}" class="alert-link">{}</a>',
                        pgettext("contacts", "Contact saved."),
                        reverse("contacts:detail", args=[contact.pk]),
                        _("View contact #%(id)s") % {"id": contact.pk},
                    ),
                )
                return redirect("contacts:new")
    else:
        form = ContactForm()
    complaint = selectors.complaint_node()
    context = {
        "form": form,
        "products": PRODUCT_SUGGESTIONS,
        "complaint_id": complaint.id if complaint else "",
        "feedback_id": complaint.parent_id if complaint else "",
        # Only on a re-shown form: the caller the agent already picked for this call.
        "chosen_caller": form.cleaned_data.get("caller") if form.is_bound and hasattr(form, "cleaned_data") else None,
    }
    return render(request, "contacts/contact_form.html", context)


@agent_required
def reason_search(request):
    tree = get_tree()
    results = tree.search(request.GET.get("q", ""), limit=12)
    response = JsonResponse({"results": [tree.as_json(n) for n in results]})
    response["Cache-Control"] = "private, max-age=30"
    return response


@agent_required
def reason_tree(request):
    tree = get_tree()
    nodes = [
        {
            "id": n.id,
            "parent": n.parent_id,
            "level": n.level,
            "label": n.label_en,
            "definition": n.definition_en,
            "leaf": tree.is_selectable_leaf(n),
        }
        for n in tree.preorder
        if n.selectable
    ]
    response = JsonResponse({"nodes": nodes})
    response["Cache-Control"] = "private, max-age=30"
    return response


@never_cache
@agent_required
def caller_search(request):
    callers = selectors.caller_search(query=request.GET.get("q", ""))
    return JsonResponse(
        {
            "results": [
                {"id": c.pk, "name": c.name, "email": c.email, "phone": c.phone, "company": c.company} for c in callers
            ]
        }
    )


@never_cache
@agent_required
def caller_recent(request, pk):
    caller = get_object_or_404(CallerCustomer, pk=pk)
    contacts = selectors.caller_recent_contacts(caller=caller)
    return render(request, "contacts/_caller_recent.html", {"caller": caller, "contacts": contacts, "tree": get_tree()})


@agent_required
def contact_list(request):
    is_supervisor = request.user.is_programme_staff
    agents = User.objects.filter(is_call_center_agent=True).order_by("full_name", "email") if is_supervisor else None
    filter_form = ContactFilterForm(request.GET or None, agents=agents)
    filters = filter_form.cleaned_data if filter_form.is_valid() else {}
    qs = selectors.contact_list(user=request.user, filters=filters)
    page = keyset_page(request, qs, ORDERING, per_page=50)
    return render(
        request,
        "contacts/contact_list.html",
        {"page": page, "filter_form": filter_form, "tree": get_tree(), "is_supervisor": is_supervisor},
    )


@agent_required
def contact_detail(request, pk):
    contact = selectors.get_contact_for_user(user=request.user, pk=pk)
    tree = get_tree()
    context = {
        "contact": contact,
        "node": tree.get(contact.reason_id),
        "is_supervisor": request.user.is_programme_staff,
        "history": audit_history(contact) if request.user.is_programme_staff else None,
    }
    return render(request, "contacts/contact_detail.html", context)


@require_POST
@agent_required
def contact_close(request, pk):
    contact = selectors.get_contact_for_user(user=request.user, pk=pk)
    try:
        services.contact_close(actor=request.user, contact=contact)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Contact closed."))
    return redirect("contacts:detail", pk=contact.pk)


@never_cache
@programme_staff_required
def contact_correct(request, pk):
    contact = selectors.get_contact_for_user(user=request.user, pk=pk)
    form = ContactCorrectForm(request.POST or None, contact=contact)
    if request.method == "POST" and form.is_valid():
        try:
            form.save(actor=request.user)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Contact corrected. The change is in its history."))
            return redirect("contacts:detail", pk=contact.pk)
    return render(
        request,
        "contacts/contact_correct.html",
        {"form": form, "contact": contact, "node": get_tree().get(contact.reason_id)},
    )


# ---------------------------------------------------------------------------
# Reports


def _report_params(request):
    today = timezone.localdate()

    def parse(name, default):
        try:
            return dt.date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return default

    date_to = parse("to", today)
    date_from = parse("from", date_to - dt.timedelta(days=29))
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    dimension = request.GET.get("dimension", "reason")
    if dimension not in selectors.DIMENSIONS:
        dimension = "reason"
    period = request.GET.get("period", "day")
    if period not in selectors.PERIODS:
        period = "day"
    try:
        parent_id = int(request.GET.get("parent") or 0) or None
    except ValueError:
        parent_id = None
    return {
        "date_from": date_from,
        "date_to": date_to,
        "dimension": dimension,
        "period": period,
        "parent_id": parent_id,
    }


def _report_rows(params) -> tuple[list[dict], object]:
    """(rows with label/count/drill, the reason drilled into)."""
    tree = get_tree()
    span = {"date_from": params["date_from"], "date_to": params["date_to"]}
    dimension = params["dimension"]
    parent = None
    if dimension == "reason":
        parent = tree.get(params["parent_id"]) if params["parent_id"] else None
        if parent is not None and (parent.level >= 3 or not parent.children):
            parent = tree.get(parent.parent_id) if parent.parent_id else None
        rows = []
        for r in selectors.report_by_reason(parent_id=parent.id if parent else None, **span):
            node = r["node"]
            rows.append(
                {
                    "key": node.id if node else "",
                    "label": node.label_en if node else _("Logged on the level above"),
                    "path": node.path_display if node else "",
                    "count": r["count"],
                    "drill": r["drill"],
                    "retired": bool(node) and not node.selectable,
                }
            )
    elif dimension in ("interaction_type", "action_taken"):
        rows = selectors.report_by_choice(field=dimension, **span)
    elif dimension == "agent":
        rows = selectors.report_by_agent(**span)
    else:
        rows = [
            {"key": r["key"], "label": r["key"].isoformat(), "count": r["count"]}
            for r in selectors.report_by_period(period=params["period"], **span)
        ]
    return rows, parent


@programme_staff_required
def reports(request):
    params = _report_params(request)
    rows, parent = _report_rows(params)
    total = sum(r["count"] for r in rows)
    items = [(str(r["label"]), r["count"]) for r in rows]
    title = _("Contacts from %(start)s to %(end)s") % {
        "start": params["date_from"].isoformat(),
        "end": params["date_to"].isoformat(),
    }
    if params["dimension"] == "period":
        chart = charts.column_chart(items, title=title) if items else ""
    else:
        chart = charts.bar_chart([i for i in items if i[1]][:20], title=title) if any(c for _, c in items) else ""
    tree = get_tree()
    breadcrumbs = [tree.nodes[i] for i in parent.ancestor_ids] + [parent] if parent else []
    complaints = list(selectors.complaint_list(date_from=params["date_from"], date_to=params["date_to"])[:10])
    context = {
        **params,
        "rows": rows,
        "total": total,
        "chart": chart,
        "parent": parent,
        "breadcrumbs": breadcrumbs,
        "complaints": complaints,
        "dimensions": [
            ("reason", _("Reason")),
            ("interaction_type", _("Interaction type")),
            ("action_taken", _("Action taken")),
            ("agent", _("Agent")),
            ("period", _("Over time")),
        ],
        "periods": [("day", _("Day")), ("week", _("Week")), ("month", _("Month"))],
        "query": request.GET.urlencode(),
    }
    return render(request, "contacts/report.html", context)


@programme_staff_required
def reports_export(request):
    params = _report_params(request)
    rows, parent = _report_rows(params)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"contacts-{params['dimension']}-{params['date_from']}-{params['date_to']}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    if params["dimension"] == "reason":
        writer.writerow(["reason_path", "count", "share"])
    else:
        writer.writerow([params["dimension"], "count", "share"])
    total = sum(r["count"] for r in rows) or 1
    for r in rows:
        label = r.get("path") or r["label"]
        writer.writerow([neutralise(label), r["count"], f"{r['count'] / total:.4f}"])
    return response


@programme_staff_required
def complaints(request):
    params = _report_params(request)
    qs = selectors.complaint_list(date_from=params["date_from"], date_to=params["date_to"])
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="complaints-{params["date_from"]}-{params["date_to"]}.csv"'
        )
        writer = csv.writer(response)
        writer.writerow(["id", "logged_at", "agent", "product", "market", "interaction_type", "action_taken", "notes"])
        for c in qs.iterator(chunk_size=2000):
            writer.writerow(
                [
                    neutralise(v)
                    for v in [
                        c.pk,
                        timezone.localtime(c.created_at).isoformat(timespec="minutes"),
                        c.agent.full_name or c.agent.email,
                        c.product,
                        c.get_market_display(),
                        c.get_interaction_type_display(),
                        c.get_action_taken_display(),
                        c.notes,
                    ]
                ]
            )
        return response
    page = keyset_page(request, qs, ORDERING, per_page=50)
    return render(request, "contacts/complaint_list.html", {**params, "page": page, "query": request.GET.urlencode()})
