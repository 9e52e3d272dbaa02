"""Results as the page, the PDF and the downloads see them: one builder, so the charts in
the browser and in the PDF are the same SVG."""

from __future__ import annotations

import csv
import datetime as dt
import io

from dateutil.relativedelta import relativedelta
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from partnerportal import charts
from partnerportal.exports import EchoBuffer, neutralise
from partnerportal.models import Organisation

from . import selectors, services
from .models import Answer, Question
from .selectors import ResultFilters
from .survey import CORE_FIELDS, CORE_QUESTIONS, CORE_SHORT


def build_results(
    *, org: Organisation, filters: ResultFilters, with_benchmark: bool = True, benchmark: dict | None = None
) -> dict:
    """Everything the results page and one PDF section show. The benchmark is the stored
    one (`services.benchmark_current`), or `benchmark` when the caller already has it."""
    language = get_language() or org.default_language
    qs = selectors.responses_filtered(org=org, filters=filters)
    summary = selectors.score_summary(qs, with_distributions=True)
    dist = summary["distributions"]
    fields = CORE_FIELDS
    questions = list(Question.objects.filter(org=org).order_by("order", "id"))
    if filters.question:
        fields = [f for f in CORE_FIELDS if f == filters.question]
        questions = [q for q in questions if f"q{q.pk}" == filters.question]
    core_charts = []
    for cq in CORE_QUESTIONS:
        if cq.field not in fields:
            continue
        counts = dist.get(cq.field, {})
        items = [(str(v), float(counts.get(v, 0))) for v in range(cq.low, cq.high + 1)]
        core_charts.append(
            {
                "question": cq,
                "average": summary[f"avg_{cq.field}"],
                "chart": charts.column_chart(items, title=str(cq.text)),
            }
        )
    custom = selectors.custom_question_results(
        org=org, qs=qs, questions=[q for q in questions if q.kind != Question.Kind.TEXT]
    )
    custom_charts = []
    for q in questions:
        if q.kind == Question.Kind.TEXT:
            continue
        data = custom.get(q.pk, {})
        if q.kind == Question.Kind.RATING:
            items = [(str(v), float(data["rating"].get(v, 0))) for v in range(1, 6)]
            chart = charts.column_chart(items, title=q.text(language))
        else:
            items = [(label, float(data["choices"].get(key, 0))) for key, label in q.choice_list(language)]
            chart = charts.bar_chart(items, title=q.text(language))
        custom_charts.append({"question": q, "text": q.text(language), "chart": chart})
    months = selectors.responses_per_month(qs)
    monthly_chart = (
        charts.column_chart([(m.strftime("%Y-%m"), float(n)) for m, n in months], title=_("Responses per month"))
        if months
        else ""
    )
    start = timezone.make_aware(dt.datetime.combine(filters.start, dt.time.min)) if filters.start else None
    end = (
        timezone.make_aware(dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time.min))
        if filters.end
        else None
    )
    responded, delivered = selectors.response_rate(org=org, start=start, end=end)
    if benchmark is None and with_benchmark:
        benchmark = services.benchmark_current()
    averages_chart = charts.bar_chart(
        [(str(CORE_SHORT[f]), float(summary[f"avg_{f}"] or 0)) for f in CORE_FIELDS if f != "recommend"],
        title=_("Average scores (1–5)"),
        value_format="{:.2f}",
        max_value=5,
    )
    return {
        "summary": summary,
        "core_charts": core_charts,
        "custom_charts": custom_charts,
        "monthly_chart": monthly_chart,
        "averages_chart": averages_chart,
        "responded": responded,
        "delivered": delivered,
        "response_rate": round(100.0 * responded / delivered, 1) if delivered else None,
        "benchmark": benchmark if with_benchmark else None,
        "comments": selectors.comments(qs),
        "text_answers": _text_answers(org=org, qs=qs, questions=questions, language=language),
    }


def _text_answers(*, org, qs, questions, language) -> list[dict]:
    texts = {q.pk: q.text(language) for q in questions if q.kind == Question.Kind.TEXT}
    if not texts:
        return []
    rows = (
        Answer.objects.filter(org=org, response__in=qs.values("id"), question_id__in=list(texts))
        .exclude(value_text="")
        .order_by("-response__submitted_at")
        .values("question_id", "value_text")[:50]
    )
    return [{"question": texts[r["question_id"]], "text": r["value_text"]} for r in rows]


def render_results_pdf(
    *, org: Organisation, month: dt.date | None = None, filters: ResultFilters | None = None
) -> bytes:
    """The results report as PDF. For a monthly report: the month, then the last 12 months."""
    return render_results_document(org=org, month=month, filters=filters).write_pdf()


def render_results_document(*, org: Organisation, month: dt.date | None = None, filters: ResultFilters | None = None):
    from django.contrib.staticfiles import finders
    from weasyprint import CSS, HTML

    sections = []
    if month is not None:
        month_end = month + relativedelta(months=1) - dt.timedelta(days=1)
        sections.append((_("This month"), ResultFilters(start=month, end=month_end)))
        sections.append(
            (
                _("Last 12 months"),
                ResultFilters(start=month_end - relativedelta(months=12) + dt.timedelta(days=1), end=month_end),
            )
        )
    else:
        sections.append((_("Results"), filters or ResultFilters()))
    benchmark = services.benchmark_current()
    html = render_to_string(
        "csat/report_pdf.html",
        {
            "org": org,
            "month": month,
            "generated_at": timezone.now(),
            "sections": [
                {"title": t, "filters": f, **build_results(org=org, filters=f, benchmark=benchmark)}
                for t, f in sections
            ],
        },
    )
    return HTML(string=html).render(stylesheets=[CSS(filename=finders.find("csat/report_pdf.css"))])


# --- Downloads ------------------------------------------------------------------------------------


def export_rows(*, org: Organisation, filters: ResultFilters):
    """Header, then one row per response, one column per question; streamed in chunks so
    a large download does not load every response at once."""
    language = get_language() or org.default_language
    questions = list(Question.objects.filter(org=org).order_by("order", "id"))
    header = [
        _("Response ID"),
        _("Submitted"),
        _("Language"),
        _("Anonymous"),
        _("Name"),
        _("E-mail address"),
        _("Customer organisation"),
        *[str(CORE_SHORT[f]) for f in CORE_FIELDS],
        _("Comment"),
        *[q.text(language) for q in questions],
    ]
    yield [neutralise(h) for h in header]
    qs = selectors.responses_filtered(org=org, filters=filters).order_by("submitted_at", "id")
    last_id, last_at = 0, None
    while True:
        chunk_qs = qs
        if last_at is not None:
            from django.db.models import Q

            chunk_qs = qs.filter(Q(submitted_at__gt=last_at) | Q(submitted_at=last_at, id__gt=last_id))
        chunk = list(chunk_qs[:2000])
        if not chunk:
            return
        answers: dict[int, dict[int, str]] = {}
        for a in Answer.objects.filter(response__in=[r.pk for r in chunk]).select_related("question"):
            q = a.question
            if q.kind == Question.Kind.RATING:
                value = a.value_int
            elif q.kind == Question.Kind.TEXT:
                value = a.value_text
            else:
                labels = dict(q.choice_list(language))
                value = ", ".join(labels.get(k, k) for k in a.value_choices)
            answers.setdefault(a.response_id, {})[q.pk] = value
        for r in chunk:
            row = [
                r.pk,
                timezone.localtime(r.submitted_at).strftime("%Y-%m-%d %H:%M"),
                r.language,
                _("yes") if r.is_anonymous else _("no"),
                r.respondent_name,
                r.respondent_email,
                r.customer_org,
                *[getattr(r, f) for f in CORE_FIELDS],
                r.comment,
                *[answers.get(r.pk, {}).get(q.pk, "") for q in questions],
            ]
            yield [neutralise(v) for v in row]
        last_at, last_id = chunk[-1].submitted_at, chunk[-1].pk


def csv_stream(rows):
    writer = csv.writer(EchoBuffer())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow(row)


def xlsx_bytes(rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Responses")[:31])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
