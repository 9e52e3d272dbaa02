from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db.models import Avg, Count, Q
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from partnerportal.errors import DomainError
from partnerportal.models import Organisation, Role
from partnerportal.pagination import keyset_page
from partnerportal.tenancy import get_for_member, member_required, programme_staff_required

from . import importing, reports, selectors, services
from .forms import ContactForm, FilterForm, MtmForm, MtmImportForm, QuestionForm, SettingsForm, UploadForm
from .models import ComplianceStatus, Contact, ContactImport, MonthlyReport, MtmEvaluation, Question, Response
from .survey import CORE_QUESTIONS, CORE_SHORT

SURVEY = (Role.SURVEY_ADMIN,)
PUBLIC_RATE = "30/m"


def _form_error(form, exc: DomainError):
    if exc.field and exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    else:
        form.add_error(None, exc.message)


# --- Results ------------------------------------------------------------------------------------


def _filters(request, org):
    questions = [(q.field, str(CORE_SHORT[q.field])) for q in CORE_QUESTIONS]
    lang = org.default_language
    questions += [
        (f"q{q.pk}", q.text(translation.get_language() or lang)[:60]) for q in Question.objects.filter(org=org)
    ]
    form = FilterForm(
        request.GET or None,
        customer_orgs=selectors.customer_org_options(org=org),
        languages=selectors.language_options(org=org),
        questions=questions,
    )
    f = selectors.ResultFilters()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        f = selectors.ResultFilters(
            start=d["start"],
            end=d["end"],
            customer_org_key=d["customer_org"],
            language=d["language"],
            question=d["question"],
        )
    return form, f


@member_required(*SURVEY)
def results(request):
    form, filters = _filters(request, request.org)
    ctx = reports.build_results(org=request.org, filters=filters)
    ctx.update(
        form=form,
        query=request.GET.urlencode(),
        reports=selectors.reports_for_org(org=request.org),
        tab="results",
    )
    return render(request, "csat/results.html", ctx)


@member_required(*SURVEY)
def results_download(request, fmt):
    _form, filters = _filters(request, request.org)
    rows = reports.export_rows(org=request.org, filters=filters)
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        response = StreamingHttpResponse(reports.csv_stream(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="csat-responses-{stamp}.csv"'
    elif fmt == "xlsx":
        response = HttpResponse(
            reports.xlsx_bytes(rows), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="csat-responses-{stamp}.xlsx"'
    elif fmt == "pdf":
        response = HttpResponse(
            reports.render_results_pdf(org=request.org, filters=filters), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="csat-report-{stamp}.pdf"'
    else:
        raise Http404
    return response


@member_required(*SURVEY)
def report_download(request, pk):
    report = get_for_member(request, MonthlyReport.objects.filter(mailed_at__isnull=False), *SURVEY, pk=pk)
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="csat-report-{report.month:%Y-%m}.pdf"'
    return response


# --- Compliance ---------------------------------------------------------------------------------


@member_required(*SURVEY)
def compliance(request):
    c = selectors.compliance_for_org(org=request.org)
    s = services.settings_for(org=request.org)
    return render(
        request,
        "csat/compliance.html",
        {
            "c": c,
            "status": ComplianceStatus.objects.filter(org=request.org).first(),
            "plan": selectors.planner(org=request.org, compliance=c, reminder_delay=s.reminder_delay),
            "tab": "compliance",
        },
    )


# --- Invite customers ---------------------------------------------------------------------------


@member_required(*SURVEY)
def invite(request):
    org = request.org
    s = services.settings_for(org=org)
    c = selectors.compliance_for_org(org=org)
    search = request.GET.get("q", "").strip()
    page = keyset_page(request, selectors.contacts_for_org(org=org, search=search), ("-created_at", "-id"), per_page=50)
    return render(
        request,
        "csat/invite.html",
        {
            "upload_form": UploadForm(),
            "page": page,
            "search": search,
            "plan": selectors.planner(org=org, compliance=c, reminder_delay=s.reminder_delay),
            "c": c,
            "settings": s,
            "tab": "invite",
            "open_link": services.open_link(survey_settings=s),
        },
    )


@require_POST
@member_required(*SURVEY)
def upload(request):
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        f = form.cleaned_data["file"]
        try:
            imp = services.import_preview(org=request.org, actor=request.user, filename=f.name, data=f.read())
            return redirect("csat:import_detail", pk=imp.pk)
        except DomainError as exc:
            _form_error(form, exc)
    messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("csat:invite")


@member_required(*SURVEY)
def import_detail(request, pk):
    imp = get_for_member(request, ContactImport.objects.all(), *SURVEY, pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "discard":
                services.import_discard(imp=imp, actor=request.user)
                messages.info(request, _("The upload was discarded."))
            else:
                n = services.import_commit(imp=imp, actor=request.user)
                messages.success(request, _("%(n)d contacts imported.") % {"n": n})
            return redirect("csat:invite")
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("csat:import_detail", pk=imp.pk)
    return render(
        request,
        "csat/import_detail.html",
        {"imp": imp, "sample": imp.rows[:20], "errors": imp.errors[:1000], "valid": len(imp.rows), "tab": "invite"},
    )


@member_required(*SURVEY)
def contacts_template(request, fmt):
    if fmt == "xlsx":
        response = HttpResponse(
            importing.template_xlsx(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    elif fmt == "csv":
        response = HttpResponse(importing.template_csv(), content_type="text/csv; charset=utf-8")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="csat-contacts-template.{fmt}"'
    return response


@member_required(*SURVEY)
def contact_edit(request, pk=None):
    contact = get_for_member(request, Contact.objects.all(), *SURVEY, pk=pk) if pk else None
    form = ContactForm(request.POST or None, instance=contact, initial={"language": request.org.default_language})
    if request.method == "POST" and form.is_valid():
        try:
            fields = {k: form.cleaned_data[k] for k in form.Meta.fields}
            services.contact_save(org=request.org, actor=request.user, contact=contact, **fields)
            messages.success(request, _("Contact saved."))
            return redirect("csat:invite")
        except DomainError as exc:
            _form_error(form, exc)
    invitations = contact.invitations.order_by("-created_at")[:10] if contact else []
    return render(
        request,
        "csat/contact_form.html",
        {"form": form, "contact": contact, "invitations": invitations, "tab": "invite"},
    )


@require_POST
@member_required(*SURVEY)
def contact_delete(request, pk):
    contact = get_for_member(request, Contact.objects.all(), *SURVEY, pk=pk)
    services.contact_delete(contact=contact, actor=request.user)
    messages.success(request, _("Contact removed."))
    return redirect("csat:invite")


@require_POST
@member_required(*SURVEY)
def invitations_send(request):
    n = services.invitations_create(org=request.org, actor=request.user)
    if n:
        messages.success(request, _("%(n)d invitations are being sent.") % {"n": n})
    else:
        messages.info(
            request, _("No contact is waiting for an invitation: add contacts who agreed to receive the survey.")
        )
    return redirect("csat:invite")


# --- Questions and settings ---------------------------------------------------------------------


@member_required(*SURVEY)
def questions(request):
    return render(
        request,
        "csat/question_list.html",
        {"questions": selectors.questions_for_org(org=request.org), "core": CORE_QUESTIONS, "tab": "questions"},
    )


@member_required(*SURVEY)
def question_edit(request, pk=None):
    question = get_for_member(request, Question.objects.select_related("org"), *SURVEY, pk=pk) if pk else None
    form = QuestionForm(request.POST or None, default_lang=request.org.default_language, question=question)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.question_save(
                org=request.org,
                actor=request.user,
                question=question,
                kind=d["kind"],
                texts=d["texts"],
                choices=d["choices"],
                required=d["required"],
                order=d["order"],
            )
            messages.success(request, _("Question saved."))
            return redirect("csat:questions")
        except DomainError as exc:
            _form_error(form, exc)
    return render(request, "csat/question_form.html", {"form": form, "question": question, "tab": "questions"})


@require_POST
@member_required(*SURVEY)
def question_remove(request, pk):
    question = get_for_member(request, Question.objects.all(), *SURVEY, pk=pk)
    if request.POST.get("action") == "restore":
        services.question_restore(question=question, actor=request.user)
        messages.success(request, _("Question restored."))
    elif services.question_remove(question=question, actor=request.user) == "retired":
        messages.success(
            request, _("The question was retired: it is no longer asked, and its answers stay in your results.")
        )
    else:
        messages.success(request, _("Question deleted."))
    return redirect("csat:questions")


@member_required(*SURVEY)
def survey_settings(request):
    s = services.settings_for(org=request.org)
    form = SettingsForm(
        request.POST or None,
        initial={"reminder_delay_days": s.reminder_delay.days, "monthly_report": s.monthly_report},
    )
    if request.method == "POST":
        if request.POST.get("action") == "rotate":
            services.settings_rotate_open_link(org=request.org, actor=request.user)
            messages.success(request, _("A new survey link was created. The old link no longer works."))
            return redirect("csat:settings")
        if form.is_valid():
            try:
                services.settings_update(org=request.org, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Survey settings saved."))
                return redirect("csat:settings")
            except DomainError as exc:
                _form_error(form, exc)
    return render(
        request,
        "csat/settings.html",
        {"form": form, "settings": s, "open_link": services.open_link(survey_settings=s), "tab": "settings"},
    )


# --- Metrics that Matter ------------------------------------------------------------------------


@member_required(*SURVEY)
def mtm(request):
    org = request.org
    form = MtmForm(request.POST or None if request.POST.get("action") != "import" else None)
    import_form = (
        MtmImportForm(request.POST or None, request.FILES or None)
        if request.POST.get("action") == "import"
        else MtmImportForm()
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "import":
                if import_form.is_valid():
                    f = import_form.cleaned_data["file"]
                    n = services.mtm_import(org=org, actor=request.user, filename=f.name, data=f.read())
                    messages.success(request, _("%(n)d evaluations imported.") % {"n": n})
                    return redirect("csat:mtm")
            elif form.is_valid():
                services.mtm_record(org=org, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Evaluation recorded."))
                return redirect("csat:mtm")
        except DomainError as exc:
            _form_error(import_form if request.POST.get("action") == "import" else form, exc)
    page = keyset_page(request, MtmEvaluation.objects.filter(org=org), ("-completed_at", "-id"))
    return render(
        request, "csat/mtm.html", {"form": form, "import_form": import_form, "page": page, "tab": "compliance"}
    )


# --- Public survey pages ------------------------------------------------------------------------


def _pick_language(request, preferred: str | None) -> str:
    codes = dict(settings.LANGUAGES)
    chosen = request.GET.get("lang") or request.POST.get("lang")
    if chosen in codes:
        return chosen
    if preferred in codes:
        return preferred
    return translation.get_language_from_request(request)


def _score(value: str | None) -> int | None:
    """A posted score as a number; anything else ("--5", "²", a thousand digits) is no answer."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 3 else None


def _collect_answers(request, questions) -> dict:
    data = {cq.field: _score(request.POST.get(cq.field)) for cq in CORE_QUESTIONS}
    data["comment"] = request.POST.get("comment", "")
    for q in questions:
        key = f"q{q.pk}"
        data[key] = request.POST.getlist(key) if q.kind == Question.Kind.MULTIPLE else request.POST.get(key, "")
    return data


def _survey(request, *, org: Organisation, invitation=None, language: str):
    translation.activate(language)
    request.LANGUAGE_CODE = language
    questions = list(
        Question.objects.filter(org=org, retired_at__isnull=True).select_related("org").order_by("order", "id")
    )
    error_field, error, posted = None, None, {}
    if request.method == "POST":
        posted = _collect_answers(request, questions)
        anonymous = request.POST.get("anonymous") == "on"
        try:
            services.response_submit(
                org=org,
                answers=posted,
                language=language,
                anonymous=anonymous,
                invitation=invitation,
                name=request.POST.get("name", ""),
                email=request.POST.get("email", ""),
                company=request.POST.get("company", ""),
            )
            return render(request, "csat/survey_thanks.html", {"org": org, "language": language})
        except DomainError as exc:
            error_field, error = exc.field, exc.message
    rendered = [
        {
            "q": q,
            "text": q.text(language),
            "choices": q.choice_list(language),
            "name": f"q{q.pk}",
            "value": posted.get(f"q{q.pk}"),
        }
        for q in questions
    ]
    core = [{"q": cq, "range": range(cq.low, cq.high + 1), "value": posted.get(cq.field)} for cq in CORE_QUESTIONS]
    return render(
        request,
        "csat/survey.html",
        {
            "org": org,
            "invitation": invitation,
            "core": core,
            "custom": rendered,
            "language": language,
            "languages": settings.LANGUAGES,
            "error": error,
            "error_field": error_field,
            "post": request.POST,
        },
        status=400 if error else 200,
    )


@never_cache
@ratelimit(key="ip", rate=PUBLIC_RATE, method=ratelimit.ALL, block=True)
def personal_survey(request, token):
    inv = services.invitation_by_token(token)
    if inv is None or inv.sent_at is None:
        return render(request, "csat/survey_invalid.html", {"reason": "unknown"}, status=404)
    language = _pick_language(request, inv.language)
    if inv.responded_at is not None:
        translation.activate(language)
        return render(request, "csat/survey_invalid.html", {"reason": "used", "org": inv.org}, status=410)
    if inv.cancelled_at is not None or inv.contact.opted_out_at is not None:
        translation.activate(language)
        return render(request, "csat/survey_invalid.html", {"reason": "cancelled", "org": inv.org}, status=410)
    return _survey(request, org=inv.org, invitation=inv, language=language)


@never_cache
@ratelimit(key="ip", rate=PUBLIC_RATE, method=ratelimit.ALL, block=True)
def open_survey(request, token):
    org = services.org_by_open_token(token)
    if org is None:
        return render(request, "csat/survey_invalid.html", {"reason": "unknown"}, status=404)
    return _survey(request, org=org, language=_pick_language(request, None))


@never_cache
@ratelimit(key="ip", rate=PUBLIC_RATE, method=ratelimit.ALL, block=True)
def opt_out(request, token):
    inv = services.invitation_by_token(token)
    if inv is None:
        return render(request, "csat/survey_invalid.html", {"reason": "unknown"}, status=404)
    translation.activate(_pick_language(request, inv.language))
    if request.method == "POST":
        services.contact_opt_out(token=token)
        return render(request, "csat/opt_out.html", {"org": inv.org, "done": True})
    return render(request, "csat/opt_out.html", {"org": inv.org, "done": inv.contact.opted_out_at is not None})


# --- Programme staff ----------------------------------------------------------------------------


@programme_staff_required
def programme(request):
    """Aggregates across partners: counts, scores and compliance; never a contact."""
    since = timezone.now() - timedelta(days=365)
    recent = Response.objects.filter(submitted_at__gte=since)
    overall = selectors.score_summary(recent)
    bench = services.benchmark_current()
    orgs = Organisation.objects.filter(is_active=True).select_related("csat_compliance")
    page = keyset_page(request, orgs, ("partner_id", "id"), per_page=50)
    stats = {
        r["org_id"]: r
        for r in recent.filter(org__in=[o.pk for o in page.object_list])
        .values("org_id")
        .annotate(n=Count("id"), avg=Avg("satisfaction"), customers=Count("customer_org_key", distinct=True))
    }
    rows = [
        {"org": o, "stats": stats.get(o.pk), "status": getattr(o, "csat_compliance", None)} for o in page.object_list
    ]
    met = ComplianceStatus.objects.aggregate(met=Count("id", filter=Q(met=True)), total=Count("id"))
    return render(
        request,
        "csat/programme.html",
        {"overall": overall, "benchmark": bench, "page": page, "rows": rows, "met": met},
    )
