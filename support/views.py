from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from partnerportal.audit import audit_history
from partnerportal.errors import DomainError
from partnerportal.models import Membership, Organisation, Role
from partnerportal.pagination import keyset_page
from partnerportal.tenancy import get_for_member, member_required, programme_staff_required

from . import selectors, services
from .forms import (
    CollectionsPolicyForm,
    ContactForm,
    CustomerForm,
    CustomerMessageForm,
    CustomerRequestForm,
    DisputeForm,
    EscalationForm,
    EscalationUpdateForm,
    IncidentForm,
    InvoiceForm,
    NoteForm,
    PaymentForm,
    RatingForm,
    ReplyForm,
    RequestCreateForm,
    SubscriptionForm,
    SupportProfileForm,
)
from .models import (
    CollectionEvent,
    Customer,
    CustomerContact,
    Escalation,
    Invoice,
    RequestMessage,
    Service,
    ServiceHealthIncident,
    Subscription,
    SupportProfile,
    SupportRequest,
)

SUPPORT = (Role.SUPPORT_AGENT,)
BILLING = (Role.BILLING_ADMIN,)
CUSTOMER_READ = (Role.SUPPORT_AGENT, Role.BILLING_ADMIN, Role.SALES_AGENT)


def _form_error(form, exc: DomainError, request=None):
    if exc.field and exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    else:
        form.add_error(None, exc.message)


# --- Ticket queue and requests ------------------------------------------------------------------


@member_required(*SUPPORT)
def request_list(request):
    filters = {k: request.GET.get(k, "") for k in ("status", "severity", "category", "service", "assignee", "breached")}
    if "status" not in request.GET:
        filters["status"] = "open"
    qs = selectors.request_queue(org=request.org, filters=filters)
    page = keyset_page(request, qs, ("-created_at", "-id"))
    agents = Membership.objects.filter(org=request.org, is_active=True).select_related("user")
    return render(
        request,
        "support/request_list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": SupportRequest.Status.choices,
            "severities": SupportRequest.Severity.choices,
            "categories": SupportRequest.Category.choices,
            "services": Service.choices,
            "agents": [m.user for m in agents],
            "is_provider": request.org.csp_relationship == "indirect_provider",
        },
    )


@member_required(*SUPPORT)
def request_create(request):
    form = RequestCreateForm(request.POST or None, org=request.org, initial={"assignee": request.user})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            req = services.request_create(
                org=request.org,
                customer=data["customer"],
                category=data["category"],
                service=data["service"],
                severity=data["severity"],
                subject=data["subject"],
                description=data["description"],
                requester_name=data["requester_name"],
                requester_email=data["requester_email"],
                actor=request.user,
                assignee=data["assignee"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Request #%(id)s opened. Check service health first.") % {"id": req.pk})
            return redirect("support:request_detail", req.pk)
    return render(request, "support/request_form.html", {"form": form})


@member_required()
def request_detail(request, pk):
    req = get_for_member(
        request,
        SupportRequest.objects.select_related("customer", "assignee", "incident", "health_checked_by"),
        *SUPPORT,
        pk=pk,
    )
    reply_form, note_form = ReplyForm(), NoteForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "reply":
                reply_form = ReplyForm(request.POST)
                if reply_form.is_valid():
                    services.request_reply(
                        request=req,
                        actor=request.user,
                        body=reply_form.cleaned_data["body"],
                        status=reply_form.cleaned_data["status"] or None,
                    )
                    messages.success(request, _("Reply sent to the customer."))
                    return redirect("support:request_detail", req.pk)
            elif action == "note":
                note_form = NoteForm(request.POST)
                if note_form.is_valid():
                    services.request_note(request=req, actor=request.user, body=note_form.cleaned_data["body"])
                    messages.success(request, _("Note added."))
                    return redirect("support:request_detail", req.pk)
            elif action == "status":
                services.request_change_status(request=req, status=request.POST.get("status", ""), actor=request.user)
                messages.success(request, _("Status changed."))
                return redirect("support:request_detail", req.pk)
            elif action == "assign":
                value = request.POST.get("assignee", "")
                assignee = None
                if value:
                    m = Membership.objects.filter(org=req.org, user_id=value if value.isdigit() else 0).first()
                    if m is None:
                        raise DomainError(_("The assignee must be a member of your organisation."))
                    assignee = m.user
                services.request_assign(request=req, assignee=assignee, actor=request.user)
                messages.success(request, _("Assignee saved."))
                return redirect("support:request_detail", req.pk)
            elif action == "health":
                incident = None
                if value := request.POST.get("incident"):
                    incident = ServiceHealthIncident.objects.filter(pk=value if value.isdigit() else 0).first()
                    if incident is None:
                        raise DomainError(_("That incident does not exist."))
                services.request_check_health(
                    request=req, actor=request.user, incident=incident, unlink=request.POST.get("unlink") == "1"
                )
                messages.success(request, _("Service health check recorded."))
                return redirect("support:request_detail", req.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
    conversation = list(req.messages.select_related("author"))
    escalations = list(req.escalations.select_related("escalated_by", "provider_org"))
    allowed = sorted(services.TRANSITIONS[req.status], key=lambda s: SupportRequest.Status.values.index(s))
    return render(
        request,
        "support/request_detail.html",
        {
            "req": req,
            "conversation": conversation,
            "reply_form": reply_form,
            "note_form": note_form,
            "transitions": [(s, SupportRequest.Status(s).label) for s in allowed],
            "incidents": list(selectors.active_incidents(service=req.service)),
            "escalations": escalations,
            "can_escalate": req.status in services.ESCALATABLE
            and not any(e.status in Escalation.OPEN_STATUSES for e in escalations),
            "agents": [m.user for m in Membership.objects.filter(org=req.org, is_active=True).select_related("user")],
            "history": selectors.request_history(req),
        },
    )


@member_required()
def request_escalate(request, pk):
    req = get_for_member(
        request, SupportRequest.objects.select_related("customer", "org__indirect_provider"), *SUPPORT, pk=pk
    )
    vehicles = services.escalation_vehicles(org=req.org)
    initial = {}
    eligible = [v for v in vehicles if v["eligible"]]
    if len(eligible) == 1:
        initial["vehicle"] = eligible[0]["vehicle"]
    form = EscalationForm(request.POST or None, initial=initial)
    refusal = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.escalation_create(
                request=req,
                actor=request.user,
                category=data["category"],
                vehicle=data["vehicle"],
                explanation=data["explanation"],
                vendor_ticket_number=data["vendor_ticket_number"],
            )
        except DomainError as exc:
            _form_error(form, exc)
            if exc.field == "category":
                refusal = exc.message
        else:
            messages.success(request, _("Request escalated."))
            return redirect("support:request_detail", req.pk)
    return render(
        request,
        "support/escalation_form.html",
        {
            "req": req,
            "form": form,
            "vehicles": vehicles,
            "refusal": refusal,
            "category_help": EscalationForm.category_help,
            "refused_reasons": {k: services.refusal_reason(k) for k in services.REFUSED_CATEGORIES},
        },
    )


@member_required()
def escalation_update(request, pk):
    esc = get_for_member(request, Escalation.objects.select_related("request", "provider_org"), *SUPPORT, pk=pk)
    return _escalation_update(request, esc, as_provider=False)


def _escalation_update(request, esc, *, as_provider):
    form = EscalationUpdateForm(
        request.POST or None, initial={"status": esc.status, "vendor_ticket_number": esc.vendor_ticket_number}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.escalation_update(escalation=esc, actor=request.user, as_provider=as_provider, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Escalation updated."))
            if as_provider:
                return redirect("support:provider_escalation_list")
            return redirect("support:request_detail", esc.request_id)
    conversation = []
    if as_provider:
        conversation = list(
            esc.request.messages.filter(kind__in=[RequestMessage.Kind.NOTE, RequestMessage.Kind.PROVIDER]).filter(
                created_at__gte=esc.escalated_at
            )
        )
    return render(
        request,
        "support/escalation_update.html",
        {
            "esc": esc,
            "form": form,
            "as_provider": as_provider,
            "conversation": conversation,
        },
    )


@member_required(*SUPPORT)
def provider_escalation_list(request):
    if request.org.csp_relationship != Organisation.CspRelationship.INDIRECT_PROVIDER:
        raise Http404
    qs = selectors.provider_escalations(provider=request.org)
    if request.GET.get("status") in Escalation.Status.values:
        qs = qs.filter(status=request.GET["status"])
    page = keyset_page(request, qs, ("-escalated_at", "-id"))
    return render(
        request,
        "support/provider_escalation_list.html",
        {"page": page, "statuses": Escalation.Status.choices, "status": request.GET.get("status", "")},
    )


@member_required()
def provider_escalation_detail(request, pk):
    """The indirect provider's agents work the escalations of their resellers."""
    esc = get_for_member(
        request,
        Escalation.objects.select_related("request", "request__customer", "org"),
        *SUPPORT,
        org_field="provider_org",
        pk=pk,
    )
    return _escalation_update(request, esc, as_provider=True)


# --- Customers and subscriptions ------------------------------------------------------------------


@member_required(*CUSTOMER_READ)
def customer_list(request):
    q = request.GET.get("q", "").strip()
    qs = selectors.customer_list(org=request.org, q=q)
    page = keyset_page(request, qs, ("company", "id"))
    return render(
        request,
        "support/customer_list.html",
        {
            "page": page,
            "q": q,
            "can_edit": request.membership.has_role(*BILLING),
            "csp": request.org.csp_relationship != "none",
        },
    )


@member_required(*BILLING)
def customer_edit(request, pk=None):
    customer = get_for_member(request, Customer.objects.all(), *BILLING, pk=pk) if pk else None
    form = CustomerForm(
        request.POST or None,
        instance=customer,
        initial=None if customer else {"language": request.org.default_language},
    )
    if request.method == "POST" and form.is_valid():
        try:
            if customer:
                customer = services.customer_update(
                    customer=form.save(commit=False), actor=request.user, changed=form.changed_data
                )
            else:
                customer = services.customer_create(org=request.org, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Customer saved."))
            return redirect("support:customer_detail", customer.pk)
    return render(request, "support/customer_form.html", {"form": form, "customer": customer})


@member_required()
def customer_detail(request, pk):
    customer = get_for_member(request, Customer.objects.select_related("partner_of_record"), *CUSTOMER_READ, pk=pk)
    m = request.membership
    return render(
        request,
        "support/customer_detail.html",
        {
            "customer": customer,
            "subscriptions": list(customer.subscriptions.select_related("suspended_by_invoice")),
            "contacts": list(customer.contacts.all()),
            "requests": list(customer.requests.select_related("assignee")[:10]) if m.has_role(*SUPPORT) else None,
            "invoices": list(customer.invoices.all()[:12]) if m.has_role(*BILLING) else None,
            "can_edit": m.has_role(*BILLING),
            "contact_form": ContactForm(initial={"language": customer.language}),
        },
    )


@require_POST
@member_required()
def contact_create(request, pk):
    customer = get_for_member(request, Customer.objects.all(), *BILLING, pk=pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.contact_create(customer=customer, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Personal link sent to %(email)s.") % {"email": form.cleaned_data["email"]})
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Give a name and a valid e-mail address."))
    return redirect("support:customer_detail", customer.pk)


@require_POST
@member_required()
def contact_link(request, pk):
    contact = get_for_member(request, CustomerContact.objects.all(), *BILLING, pk=pk)
    if request.POST.get("action") == "revoke":
        services.contact_revoke_link(contact=contact, actor=request.user)
        messages.success(request, _("The link no longer works."))
    else:
        services.contact_renew_link(contact=contact, actor=request.user)
        messages.success(request, _("A new personal link was sent; the old one no longer works."))
    return redirect("support:customer_detail", contact.customer_id)


@member_required()
def subscription_edit(request, pk=None, customer_pk=None):
    if pk:
        subscription = get_for_member(request, Subscription.objects.select_related("customer"), *BILLING, pk=pk)
        customer = subscription.customer
    else:
        customer = get_for_member(request, Customer.objects.all(), *BILLING, pk=customer_pk)
        subscription = Subscription(org=customer.org, customer=customer)
    form = SubscriptionForm(request.POST or None, instance=subscription)
    if request.method == "POST" and form.is_valid():
        services.subscription_save(subscription=form.save(commit=False), actor=request.user, created=pk is None)
        messages.success(request, _("Subscription saved."))
        return redirect("support:customer_detail", customer.pk)
    return render(
        request,
        "support/subscription_form.html",
        {"form": form, "customer": customer, "subscription": subscription if pk else None},
    )


# --- Support profile ------------------------------------------------------------------------------


@member_required(Role.PARTNER_ADMIN, Role.SUPPORT_AGENT)
def support_profile(request):
    profile = SupportProfile.objects.filter(org=request.org).first()
    can_edit = request.membership.has_role(Role.PARTNER_ADMIN)
    form = SupportProfileForm(request.POST or None, instance=profile or SupportProfile(org=request.org))
    if request.method == "POST":
        if not can_edit:
            return render(request, "403.html", status=403)
        if form.is_valid():
            try:
                services.support_profile_save(
                    profile=form.save(commit=False), actor=request.user, changed=form.changed_data
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("Support terms saved. Your customers see them on their support page."))
                return redirect("support:support_profile")
    return render(
        request, "support/support_profile_form.html", {"form": form, "profile": profile, "can_edit": can_edit}
    )


# --- Invoices and collections ---------------------------------------------------------------------


@member_required(*BILLING)
def invoice_list(request):
    filters = {k: request.GET.get(k, "") for k in ("status", "customer")}
    qs = selectors.invoice_list(org=request.org, filters=filters)
    page = keyset_page(request, qs, ("-due_date", "-id"))
    policy = services.policy_for(request.org)
    ids = [i.pk for i in page.object_list]
    events = {}
    for e in CollectionEvent.objects.filter(invoice_id__in=ids):
        events.setdefault(e.invoice_id, []).append(e)
    for inv in page.object_list:
        inv.timeline_summary = selectors.timeline_summary(
            selectors.invoice_timeline(invoice=inv, policy=policy, events=events.get(inv.pk, []))
        )
    return render(
        request,
        "support/invoice_list.html",
        {"page": page, "filters": filters, "statuses": Invoice.Status.choices, "policy": policy},
    )


@member_required(*BILLING)
def invoice_create(request):
    form = InvoiceForm(request.POST or None, org=request.org, initial={"currency": "EUR"})
    if request.method == "POST" and form.is_valid():
        try:
            inv = services.invoice_create(org=request.org, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Invoice %(number)s created.") % {"number": inv.number})
            return redirect("support:invoice_detail", inv.pk)
    return render(request, "support/invoice_form.html", {"form": form})


@member_required()
def invoice_detail(request, pk):
    inv = get_for_member(request, Invoice.objects.select_related("customer"), *BILLING, pk=pk)
    payment_form = PaymentForm(initial={"amount": inv.amount, "paid_on": None})
    dispute_form = DisputeForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "payment":
                payment_form = PaymentForm(request.POST)
                if payment_form.is_valid():
                    services.payment_record(invoice=inv, actor=request.user, **payment_form.cleaned_data)
                    messages.success(request, _("Payment recorded."))
                    return redirect("support:invoice_detail", inv.pk)
            elif action == "dispute":
                dispute_form = DisputeForm(request.POST)
                if dispute_form.is_valid():
                    services.invoice_mark_disputed(invoice=inv, actor=request.user, **dispute_form.cleaned_data)
                    messages.success(request, _("Invoice marked as disputed: collections stop for it."))
                    return redirect("support:invoice_detail", inv.pk)
            elif action == "resolve_dispute":
                services.invoice_resolve_dispute(invoice=inv, actor=request.user)
                messages.success(request, _("Dispute settled: collections resume for this invoice."))
                return redirect("support:invoice_detail", inv.pk)
        except DomainError as exc:
            form = payment_form if action == "payment" else dispute_form
            _form_error(form, exc)
    policy = services.policy_for(inv.org)
    timeline = selectors.invoice_timeline(invoice=inv, policy=policy)
    return render(
        request,
        "support/invoice_detail.html",
        {
            "invoice": inv,
            "payments": list(inv.payments.select_related("recorded_by")),
            "suspended": list(inv.suspended_subscriptions.all()),
            "timeline": timeline,
            "summary": selectors.timeline_summary(timeline),
            "policy": policy,
            "payment_form": payment_form,
            "dispute_form": dispute_form,
            "history": audit_history(inv),
        },
    )


@member_required(*BILLING)
def policy_edit(request):
    policy = services.policy_for(request.org)
    form = CollectionsPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_save(policy=form.save(commit=False), actor=request.user)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Collections policy saved. Your customers see it on their support page."))
            return redirect("support:policy_edit")
    return render(request, "support/policy_form.html", {"form": form, "policy": policy})


# --- Programme staff -------------------------------------------------------------------------------


@programme_staff_required
def incident_list(request):
    qs = ServiceHealthIncident.objects.all()
    if request.GET.get("active"):
        qs = selectors.active_incidents()
    page = keyset_page(request, qs, ("-started_at", "-id"))
    return render(request, "support/incident_list.html", {"page": page})


@programme_staff_required
def incident_edit(request, pk=None):
    incident = ServiceHealthIncident.objects.filter(pk=pk).first() if pk else ServiceHealthIncident()
    if incident is None:
        raise Http404
    form = IncidentForm(request.POST or None, instance=incident)
    if request.method == "POST" and form.is_valid():
        try:
            services.incident_save(incident=form.save(commit=False), actor=request.user, created=pk is None)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Incident saved."))
            return redirect("support:incident_list")
    return render(request, "support/incident_form.html", {"form": form, "incident": incident if pk else None})


@programme_staff_required
def escalation_stats(request):
    return render(request, "support/escalation_stats.html", {"stats": selectors.escalation_stats()})


# --- The customer's own page (personal link) ------------------------------------------------------
#
# Customers have no accounts and sign in rarely; a personal link per contact (256-bit token,
# stored hashed, revocable and renewable by the partner) is the same pattern as survey links,
# needs no password resets, and ties every request to one person, who sees only their own.


def _contact_or_404(request, token):
    """The contact whose personal link this is, with the page in the contact's language
    unless the person picked another one with the language switcher."""
    contact = services.contact_by_token(token)
    if contact is None:
        raise Http404
    codes = dict(settings.LANGUAGES)
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    language = chosen if chosen in codes else contact.language if contact.language in codes else None
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = language
    return contact


def _customer_render(request, template, context, status=200):
    response = render(request, template, context, status=status)
    # The token is in the URL: never leak it to other sites through the Referer header.
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
def customer_home(request, token):
    contact = _contact_or_404(request, token)
    customer = contact.customer
    policy = services.policy_for(contact.org)
    invoices = list(
        customer.invoices.prefetch_related(
            Prefetch("collection_events", queryset=CollectionEvent.objects.order_by("day", "id"))
        ).order_by("-due_date")[:12]
    )
    for inv in invoices:
        inv.timeline = selectors.invoice_timeline(invoice=inv, policy=policy, events=list(inv.collection_events.all()))
        inv.summary = selectors.timeline_summary(inv.timeline)
    return _customer_render(
        request,
        "support/customer/home.html",
        {
            "contact": contact,
            "customer": customer,
            "partner": contact.org,
            "token": token,
            "profile": SupportProfile.objects.filter(org=contact.org).first(),
            "policy": policy,
            "requests": list(SupportRequest.objects.filter(customer=customer, requester=contact)[:50]),
            "subscriptions": list(customer.subscriptions.exclude(status=Subscription.Status.CANCELLED)),
            "invoices": invoices,
            "incidents": list(selectors.active_incidents()[:5]),
        },
    )


@never_cache
def customer_request_create(request, token):
    contact = _contact_or_404(request, token)
    form = CustomerRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            req = services.request_create(
                org=contact.org, customer=contact.customer, requester=contact, **form.cleaned_data
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Thank you. Your request #%(id)s was received.") % {"id": req.pk})
            return redirect("support:customer_request", token, req.pk)
    return _customer_render(
        request,
        "support/customer/request_form.html",
        {"form": form, "contact": contact, "partner": contact.org, "token": token},
    )


@never_cache
def customer_request_detail(request, token, pk):
    contact = _contact_or_404(request, token)
    # Only the person's own requests: another contact's request is a 404 here.
    req = SupportRequest.objects.filter(pk=pk, requester=contact).first()
    if req is None:
        raise Http404
    form, rating_form = CustomerMessageForm(), RatingForm()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "rate":
                rating_form = RatingForm(request.POST)
                if rating_form.is_valid():
                    services.request_rate(request=req, contact=contact, **rating_form.cleaned_data)
                    messages.success(request, _("Thank you for your feedback."))
                    return redirect("support:customer_request", token, req.pk)
            else:
                form = CustomerMessageForm(request.POST)
                if form.is_valid():
                    services.request_customer_message(request=req, contact=contact, body=form.cleaned_data["body"])
                    messages.success(request, _("Your message was sent."))
                    return redirect("support:customer_request", token, req.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
    conversation = [m for m in req.messages.all() if m.visible_to_customer]
    return _customer_render(
        request,
        "support/customer/request_detail.html",
        {
            "req": req,
            "contact": contact,
            "partner": contact.org,
            "token": token,
            "conversation": conversation,
            "form": form,
            "rating_form": rating_form,
        },
    )
