import csv

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from partnerportal.audit import audit_history
from partnerportal.errors import DomainError
from partnerportal.exports import EchoBuffer, neutralise
from partnerportal.models import Role
from partnerportal.pagination import keyset_page
from partnerportal.tenancy import get_for_member, member_required, programme_staff_required

from . import selectors, services
from .forms import (
    AcceptForm,
    ContactForm,
    DealForm,
    DeclineForm,
    DirectorySearchForm,
    FunnelFilterForm,
    InquiryForm,
    LeadFilterForm,
    OutcomeForm,
    ProfileForm,
    QualifiedLeadForm,
)
from .models import BusinessProfile, Lead, LeadContact

ROLES = (Role.REFERRAL_ADMIN,)
LIST_ORDER = ("-received_at", "-id")


def _form_error(form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _get_lead(request, pk) -> Lead:
    return get_for_member(request, Lead.objects.select_related("org", "location", "sender"), *ROLES, pk=pk)


# --- Partner: lists --------------------------------------------------------------------------


@member_required(*ROLES)
def lead_list(request, tab="marketplace"):
    form = LeadFilterForm(request.GET or None)
    filters = form.values() if request.GET else {}
    qs = selectors.lead_list(org=request.org, user=request.user, tab=tab, **filters)
    page = keyset_page(request, qs, LIST_ORDER)
    export_query = request.GET.copy()
    for key in ("after", "before"):
        export_query.pop(key, None)
    export_query["tab"] = tab
    return render(
        request,
        "leads/lead_list.html",
        {
            "tab": tab,
            "form": form,
            "page": page,
            "now": timezone.now(),
            "export_query": export_query.urlencode(),
            "filtered": bool(filters),
            "has_profile": BusinessProfile.objects.filter(org=request.org, is_published=True).exists(),
        },
    )


@member_required(*ROLES)
def lead_export(request):
    tab = request.GET.get("tab", "marketplace")
    if tab not in selectors.TABS:
        raise Http404
    form = LeadFilterForm(request.GET)
    filters = form.values()
    qs = selectors.lead_list(org=request.org, user=request.user, tab=tab, **filters).order_by(*LIST_ORDER)
    header = [
        _("ID"),
        _("Type"),
        _("Status"),
        _("Received"),
        _("Responded"),
        _("Expires"),
        pgettext("leads", "Company"),
        _("Company size"),
        _("Country"),
        _("Contact name"),
        _("Contact e-mail"),
        _("Contact phone"),
        _("May contact directly"),
        _("Deal name"),
        _("Estimated value"),
        _("Currency"),
        _("Purchase timeframe"),
        _("Purchase date"),
        _("CRM ID"),
        _("Campaign ID"),
        _("Decline reason"),
    ]

    def rows():
        writer = csv.writer(EchoBuffer())
        yield writer.writerow(header)
        for lead in qs.iterator(chunk_size=2000):
            visible = lead.contact_visible
            yield writer.writerow(
                neutralise(v)
                for v in (
                    lead.pk,
                    lead.get_type_display(),
                    lead.get_status_display(),
                    lead.received_at.isoformat(),
                    lead.responded_at.isoformat() if lead.responded_at else "",
                    lead.expires_at.isoformat() if lead.status == Lead.Status.RECEIVED else "",
                    lead.customer_company,
                    lead.company_size,
                    lead.country,
                    lead.contact_name if visible else "",
                    lead.contact_email if visible else "",
                    lead.contact_phone if visible else "",
                    _("yes") if lead.may_contact_directly else _("no"),
                    lead.deal_name,
                    lead.deal_value if lead.deal_value is not None else "",
                    lead.deal_currency,
                    lead.get_purchase_timeframe_display() if lead.purchase_timeframe else "",
                    lead.purchase_date.isoformat() if lead.purchase_date else "",
                    lead.crm_id,
                    lead.campaign_id,
                    lead.get_decline_reason_display() if lead.decline_reason else "",
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="leads-{tab}-{timezone.localdate():%Y%m%d}.csv"'
    return response


# --- Partner: one lead -----------------------------------------------------------------------


@member_required(*ROLES)
def lead_detail(request, pk):
    lead = _get_lead(request, pk)
    return render(
        request,
        "leads/lead_detail.html",
        {
            "lead": lead,
            "now": timezone.now(),
            "contacts": LeadContact.objects.filter(lead=lead),
            "history": audit_history(lead),
            "is_favourite": lead.favourites.filter(user=request.user).exists(),
        },
    )


def _deal_initial(lead: Lead) -> dict:
    return {name: getattr(lead, name) for name in services.DEAL_FIELDS}


def _refuse_archived(request, lead):
    messages.error(request, _("This lead is archived: no further action is possible."))
    return redirect("leads:lead_detail", pk=lead.pk)


@member_required(*ROLES)
def lead_accept(request, pk):
    lead = _get_lead(request, pk)
    if request.method != "POST" and lead.status != Lead.Status.RECEIVED:
        return _refuse_archived(request, lead) if lead.is_archived else redirect("leads:lead_detail", pk=lead.pk)
    form = AcceptForm(request.POST or None, initial={"deal_currency": "USD"})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        colleague = {
            "name": data.pop("colleague_name"),
            "email": data.pop("colleague_email"),
            "phone": data.pop("colleague_phone"),
        }
        try:
            services.lead_accept(lead=lead, actor=request.user, contacts=[colleague], **data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Lead accepted. Good luck with the deal!"))
            return redirect("leads:lead_detail", pk=lead.pk)
    return render(request, "leads/lead_accept.html", {"lead": lead, "form": form})


@member_required(*ROLES)
def lead_decline(request, pk):
    lead = _get_lead(request, pk)
    if request.method != "POST" and lead.status != Lead.Status.RECEIVED:
        return _refuse_archived(request, lead) if lead.is_archived else redirect("leads:lead_detail", pk=lead.pk)
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_decline(
                lead=lead, actor=request.user, reason=form.cleaned_data["reason"], notes=form.cleaned_data["notes"]
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Lead declined. We will ask the customer to choose another partner."))
            return redirect("leads:lead_detail", pk=lead.pk)
    return render(request, "leads/lead_decline.html", {"lead": lead, "form": form})


@member_required(*ROLES)
def lead_edit(request, pk):
    lead = _get_lead(request, pk)
    if request.method != "POST" and lead.status != Lead.Status.ACCEPTED:
        return _refuse_archived(request, lead) if lead.is_archived else redirect("leads:lead_detail", pk=lead.pk)
    form = DealForm(request.POST or None, initial=_deal_initial(lead))
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_edit(lead=lead, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Deal saved."))
            return redirect("leads:lead_detail", pk=lead.pk)
    return render(request, "leads/lead_edit.html", {"lead": lead, "form": form})


@member_required(*ROLES)
def lead_add_contact(request, pk):
    lead = _get_lead(request, pk)
    if request.method != "POST" and lead.status != Lead.Status.ACCEPTED:
        return _refuse_archived(request, lead) if lead.is_archived else redirect("leads:lead_detail", pk=lead.pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_add_contact(lead=lead, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("%(name)s was added to the deal.") % {"name": form.cleaned_data["name"]})
            return redirect("leads:lead_detail", pk=lead.pk)
    return render(request, "leads/lead_contact_add.html", {"lead": lead, "form": form})


@member_required(*ROLES)
def lead_close(request, pk, outcome):
    lead = _get_lead(request, pk)
    if request.method != "POST" and lead.status != Lead.Status.ACCEPTED:
        return _refuse_archived(request, lead) if lead.is_archived else redirect("leads:lead_detail", pk=lead.pk)
    form = OutcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        service = services.lead_mark_won if outcome == "won" else services.lead_mark_lost
        try:
            service(lead=lead, actor=request.user, notes=form.cleaned_data["notes"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            if outcome == "won":
                messages.success(request, _("Congratulations! The lead is archived as won."))
            else:
                messages.success(request, _("The lead is archived as lost. Thank you for reporting back."))
            return redirect("leads:lead_detail", pk=lead.pk)
    return render(request, "leads/lead_close.html", {"lead": lead, "form": form, "outcome": outcome})


@require_POST
@member_required(*ROLES)
def lead_favourite(request, pk):
    lead = _get_lead(request, pk)
    now_favourite = services.lead_favourite_toggle(lead=lead, user=request.user)
    if now_favourite:
        messages.success(request, _("Added to your favourites."))
    else:
        messages.success(request, _("Removed from your favourites."))
    from partnerportal.views import safe_next

    return safe_next(request, "leads:lead_list")


# --- Partner: business profile ---------------------------------------------------------------


@member_required(*ROLES)
def profile_edit(request):
    profile = BusinessProfile.objects.filter(org=request.org).prefetch_related(Prefetch("locations")).first()
    initial = {}
    if profile:
        initial = {
            "description": profile.description,
            "keywords": ", ".join(profile.keywords),
            "industries": profile.industries,
            "company_sizes": profile.company_sizes,
            "locations": list(profile.locations.all()),
            "website": profile.website,
        }
    form = ProfileForm(request.POST or None, initial=initial, org=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_save(org=request.org, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Business profile saved."))
            return redirect("leads:profile_edit")
    return render(request, "leads/profile_edit.html", {"form": form, "profile": profile})


@require_POST
@member_required(*ROLES)
def profile_publish(request):
    profile = BusinessProfile.objects.filter(org=request.org).first()
    if profile is None:
        messages.error(request, _("Save your business profile first."))
        return redirect("leads:profile_edit")
    publish = request.POST.get("publish") == "1"
    try:
        services.profile_set_published(profile=profile, published=publish, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if publish:
            messages.success(request, _("Your profile is published: customers can find you and send inquiries."))
        else:
            messages.success(request, _("Your profile is hidden from the directory; you receive no new leads."))
    return redirect("leads:profile_edit")


# --- Public: the solution-provider directory -------------------------------------------------


def _client_ip(group, request):
    return get_client_ip_address(request) or "unknown"


def _limited(request, group: str, rate: str) -> bool:
    return is_ratelimited(request, group=group, key=_client_ip, rate=rate, increment=True)


def _too_many(request):
    return render(request, "leads/rate_limited.html", status=429)


DIRECTORY_PAGE = 20
# Searches and profile views together, per client: a person browses well within it, a scraper not.
DIRECTORY_RATE = "120/m"


def directory(request):
    if _limited(request, "leads.directory", DIRECTORY_RATE):
        return _too_many(request)
    form = DirectorySearchForm(request.GET or None)
    results, has_next, page_number = [], False, 1
    searched = bool(request.GET) and form.is_valid()
    if searched or not request.GET:
        data = form.cleaned_data if searched else {}
        try:
            page_number = max(1, min(int(request.GET.get("page", 1)), 50))
        except ValueError:
            page_number = 1
        qs = selectors.directory_search(
            q=data.get("q", ""), country=data.get("country", ""), company_size=data.get("company_size", "")
        )
        offset = (page_number - 1) * DIRECTORY_PAGE
        results = list(qs[offset : offset + DIRECTORY_PAGE + 1])
        has_next = len(results) > DIRECTORY_PAGE
        results = results[:DIRECTORY_PAGE]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "leads/directory.html",
        {
            "form": form,
            "results": results,
            "has_next": has_next,
            "page_number": page_number,
            "query": params.urlencode(),
            "countries": selectors.country_names(),
        },
    )


def directory_profile(request, pk):
    if request.method == "GET" and _limited(request, "leads.directory", DIRECTORY_RATE):
        return _too_many(request)
    profile = get_object_or_404(
        BusinessProfile.objects.select_related("org").prefetch_related("locations"),
        pk=pk,
        is_published=True,
        org__is_active=True,
    )
    form = InquiryForm(request.POST or None)
    if request.method == "POST":
        if _limited(request, "leads.inquiry", "5/10m"):
            return _too_many(request)
        if form.is_valid():
            try:
                services.lead_create(
                    org=profile.org,
                    type=Lead.Type.CUSTOMER_INQUIRY,
                    customer_language=translation.get_language() or "en",
                    **form.cleaned_data,
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                return redirect("leads:directory_sent", pk=profile.pk)
    return render(
        request,
        "leads/directory_profile.html",
        {"profile": profile, "form": form, "countries": selectors.country_names()},
    )


def directory_sent(request, pk):
    profile = get_object_or_404(BusinessProfile.objects.select_related("org"), pk=pk, is_published=True)
    return render(request, "leads/directory_sent.html", {"profile": profile})


# --- Programme staff ---------------------------------------------------------------------------


@programme_staff_required
def staff_funnel(request):
    form = FunnelFilterForm(request.GET or None)
    data = form.cleaned_data if request.GET and form.is_valid() else {}
    rows = selectors.lead_funnel(date_from=data.get("date_from"), date_to=data.get("date_to"))
    totals = {
        key: sum(r[key] for r in rows) for key in ("received", "open", "accepted", "won", "lost", "declined", "expired")
    }
    return render(request, "leads/staff_funnel.html", {"form": form, "rows": rows, "totals": totals})


@programme_staff_required
def staff_lead_create(request):
    form = QualifiedLeadForm(request.POST or None, initial={"customer_language": request.user.language})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        org = data.pop("org")
        try:
            lead = services.lead_create(org=org, sender=request.user, **data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                _("Lead #%(id)s was sent to %(org)s. They have 14 days to respond.") % {"id": lead.pk, "org": org.name},
            )
            return redirect(reverse("leads:staff_funnel"))
    return render(request, "leads/staff_lead_create.html", {"form": form})
