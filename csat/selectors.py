"""Reads: the compliance rule (in SQL), results and lists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import Avg, Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partnerportal.models import Organisation

from .models import (
    MAX_COUNTED_PER_CUSTOMER_ORG,
    REQUIRED_CUSTOMER_ORGS,
    REQUIRED_MTM_EVALUATIONS,
    REQUIRED_RESPONSES,
    WINDOW_MONTHS,
    Answer,
    BenchmarkSnapshot,
    ComplianceStatus,
    Contact,
    Invitation,
    MonthlyReport,
    Question,
    Response,
)
from .survey import CORE_FIELDS, CORE_QUESTIONS

# --- Compliance ---------------------------------------------------------------------------


def compliance_window(
    *,
    org: Organisation | None = None,
    renewal_date: dt.date | None = None,
    now: dt.datetime | None = None,
) -> tuple[dt.datetime, dt.datetime]:
    """The 12 months before the renewal date (the organisation's, or `renewal_date`):
    [renewal midnight - 12 months, renewal midnight). Without one, the 12 months up to now."""
    now = now or timezone.now()
    if org is not None:
        renewal_date = org.renewal_date
    if renewal_date:
        end = timezone.make_aware(dt.datetime.combine(renewal_date, dt.time.min))
    else:
        end = now
    return end - relativedelta(months=WINDOW_MONTHS), end


@dataclass
class CustomerOrgCount:
    key: str
    name: str
    total: int
    counted: int

    @property
    def over_cap(self) -> int:
        return self.total - self.counted


@dataclass
class Compliance:
    org: Organisation
    window_start: dt.datetime
    window_end: dt.datetime
    by_customer_org: list[CustomerOrgCount] = field(default_factory=list)
    before_window: int = 0
    after_window: int = 0
    mtm_evaluations: int = 0
    now: dt.datetime | None = None

    @property
    def counted(self) -> int:
        return sum(c.counted for c in self.by_customer_org)

    @property
    def over_cap(self) -> int:
        return sum(c.over_cap for c in self.by_customer_org)

    @property
    def distinct_orgs(self) -> int:
        return len(self.by_customer_org)

    @property
    def survey_met(self) -> bool:
        return self.counted >= REQUIRED_RESPONSES and self.distinct_orgs >= REQUIRED_CUSTOMER_ORGS

    @property
    def mtm_met(self) -> bool:
        return self.org.is_training_partner and self.mtm_evaluations >= REQUIRED_MTM_EVALUATIONS

    @property
    def met(self) -> bool:
        return self.survey_met or self.mtm_met

    @property
    def path(self) -> str:
        if self.survey_met:
            return ComplianceStatus.Path.SURVEY
        if self.mtm_met:
            return ComplianceStatus.Path.MTM
        return ""

    @property
    def days_left(self) -> int | None:
        if not self.org.renewal_date:
            return None
        return (self.org.renewal_date - timezone.localdate(self.now or timezone.now())).days

    @property
    def capped_orgs(self) -> list[CustomerOrgCount]:
        return [c for c in self.by_customer_org if c.over_cap]

    @property
    def progress_percent(self) -> int:
        return min(100, round(100 * self.counted / REQUIRED_RESPONSES))

    @property
    def missing(self) -> str:
        """What is still needed, in words a survey admin can act on."""
        if self.met:
            return ""
        need = max(0, REQUIRED_RESPONSES - self.counted)
        if self.distinct_orgs == 0:
            return ngettext(
                "%(n)d more response, from at least 2 different customer organisations",
                "%(n)d more responses, from at least 2 different customer organisations",
                need,
            ) % {"n": need}
        if self.distinct_orgs == 1:
            only = self.by_customer_org[0]
            room = MAX_COUNTED_PER_CUSTOMER_ORG - only.counted
            if need <= 1 or room == 0:
                return ngettext(
                    "%(n)d more response, from any organisation other than %(org)s",
                    "%(n)d more responses, from any organisation other than %(org)s",
                    need,
                ) % {"n": need, "org": only.name}
            return ngettext(
                "%(n)d more response, at least one of them from an organisation other than %(org)s",
                "%(n)d more responses, at least one of them from an organisation other than %(org)s",
                need,
            ) % {"n": need, "org": only.name}
        text = ngettext("%(n)d more response", "%(n)d more responses", need) % {"n": need}
        capped = [c.name for c in self.capped_orgs]
        full = [c.name for c in self.by_customer_org if c.counted >= MAX_COUNTED_PER_CUSTOMER_ORG]
        if full:
            text = _("%(text)s, from any organisation other than %(orgs)s") % {
                "text": text,
                "orgs": ", ".join(sorted(set(full + capped))),
            }
        return text


_COMPLIANCE_SQL = """
WITH w(org_id, ws, we) AS (
    SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[])
),
ranked AS (
    SELECT r.org_id, r.customer_org_key, r.customer_org,
           row_number() OVER (PARTITION BY r.org_id, r.customer_org_key ORDER BY r.submitted_at, r.id) AS rn,
           first_value(r.customer_org) OVER (
               PARTITION BY r.org_id, r.customer_org_key ORDER BY r.submitted_at, r.id
           ) AS first_name
    FROM csat_response r JOIN w ON r.org_id = w.org_id AND r.submitted_at >= w.ws AND r.submitted_at < w.we
)
SELECT org_id, customer_org_key, min(first_name), count(*), count(*) FILTER (WHERE rn <= %s)
FROM ranked GROUP BY org_id, customer_org_key
ORDER BY org_id, count(*) FILTER (WHERE rn <= %s) DESC, customer_org_key
"""

_OUTSIDE_SQL = """
WITH w(org_id, ws, we) AS (SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]))
SELECT w.org_id,
  (SELECT count(*) FROM csat_response r WHERE r.org_id = w.org_id AND r.submitted_at < w.ws),
  (SELECT count(*) FROM csat_response r WHERE r.org_id = w.org_id AND r.submitted_at >= w.we),
  (SELECT count(*) FROM csat_mtmevaluation m WHERE m.org_id = w.org_id AND m.completed_at >= w.ws
        AND m.completed_at < w.we)
FROM w
"""


def compliance_for_orgs(*, orgs: list[Organisation], now: dt.datetime | None = None) -> dict[int, Compliance]:
    """The compliance rule for many organisations in two queries: each membership on its
    own window; the first 8 responses per customer organisation by submission time (ties
    by id) count."""
    now = now or timezone.now()
    result: dict[int, Compliance] = {}
    for org in orgs:
        ws, we = compliance_window(org=org, now=now)
        result[org.pk] = Compliance(org=org, window_start=ws, window_end=we, now=now)
    if not result:
        return result
    ids = list(result)
    starts = [result[i].window_start for i in ids]
    ends = [result[i].window_end for i in ids]
    with connection.cursor() as cursor:
        cursor.execute(_COMPLIANCE_SQL, [ids, starts, ends, MAX_COUNTED_PER_CUSTOMER_ORG, MAX_COUNTED_PER_CUSTOMER_ORG])
        for org_id, key, name, total, counted in cursor.fetchall():
            result[org_id].by_customer_org.append(CustomerOrgCount(key=key, name=name, total=total, counted=counted))
        cursor.execute(_OUTSIDE_SQL, [ids, starts, ends])
        for org_id, before, after, mtm in cursor.fetchall():
            c = result[org_id]
            c.before_window, c.after_window, c.mtm_evaluations = before, after, mtm
    return result


def compliance_for_org(*, org: Organisation, now: dt.datetime | None = None) -> Compliance:
    return compliance_for_orgs(orgs=[org], now=now)[org.pk]


def counted_response_ids(*, org: Organisation, now: dt.datetime | None = None) -> set[int]:
    ws, we = compliance_window(org=org, now=now)
    sql = """
        SELECT id FROM (
            SELECT id, row_number() OVER (PARTITION BY customer_org_key ORDER BY submitted_at, id) AS rn
            FROM csat_response WHERE org_id = %s AND submitted_at >= %s AND submitted_at < %s
        ) ranked WHERE rn <= %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [org.pk, ws, we, MAX_COUNTED_PER_CUSTOMER_ORG])
        return {row[0] for row in cursor.fetchall()}


# --- Results ------------------------------------------------------------------------------


@dataclass
class ResultFilters:
    start: dt.date | None = None
    end: dt.date | None = None
    customer_org_key: str = ""
    language: str = ""
    question: str = ""  # "satisfaction", ... or "q<ID>"


def responses_filtered(*, org: Organisation, filters: ResultFilters):
    qs = Response.objects.filter(org=org)
    if filters.start:
        qs = qs.filter(submitted_at__gte=timezone.make_aware(dt.datetime.combine(filters.start, dt.time.min)))
    if filters.end:
        end = timezone.make_aware(dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time.min))
        qs = qs.filter(submitted_at__lt=end)
    if filters.customer_org_key:
        qs = qs.filter(customer_org_key=filters.customer_org_key)
    if filters.language:
        qs = qs.filter(language=filters.language)
    return qs


def nps(promoters: int, detractors: int, total: int) -> float | None:
    if not total:
        return None
    return round(100.0 * (promoters - detractors) / total, 1)


def score_summary(qs, *, with_distributions: bool = False) -> dict:
    """Counts, averages and NPS of the core questions in one query; with the number of
    answers per value of each core question (`distributions`) in the same pass."""
    counts = {}
    if with_distributions:
        for cq in CORE_QUESTIONS:
            for v in range(cq.low, cq.high + 1):
                counts[f"n_{cq.field}_{v}"] = Count("id", filter=Q(**{cq.field: v}))
    agg = qs.aggregate(
        total=Count("id"),
        anonymous=Count("id", filter=Q(is_anonymous=True)),
        promoters=Count("id", filter=Q(recommend__gte=9)),
        detractors=Count("id", filter=Q(recommend__lte=6)),
        customer_orgs=Count("customer_org_key", distinct=True),
        **{f"avg_{f}": Avg(f) for f in CORE_FIELDS},
        **counts,
    )
    agg["nps"] = nps(agg["promoters"], agg["detractors"], agg["total"])
    if with_distributions:
        agg["distributions"] = {
            cq.field: {v: agg.pop(f"n_{cq.field}_{v}") for v in range(cq.low, cq.high + 1)} for cq in CORE_QUESTIONS
        }
    return agg


def responses_per_month(qs) -> list[tuple[dt.date, int]]:
    rows = qs.annotate(m=TruncMonth("submitted_at")).values("m").annotate(n=Count("id")).order_by("m")
    return [(r["m"].date() if hasattr(r["m"], "date") else r["m"], r["n"]) for r in rows]


def custom_question_results(*, org: Organisation, qs, questions: list[Question]) -> dict[int, dict]:
    """Per custom question: value counts (rating), choice counts (single/multiple)."""
    if not questions:
        return {}
    answers = Answer.objects.filter(org=org, response__in=qs.values("id"), question__in=questions)
    rating = dict()
    for qid, value, n in (
        answers.filter(value_int__isnull=False)
        .values_list("question_id", "value_int")
        .annotate(n=Count("id"))
        .values_list("question_id", "value_int", "n")
    ):
        rating.setdefault(qid, {})[value] = n
    choices: dict[int, dict[str, int]] = {}
    sql_qs = answers.exclude(value_choices=[]).values_list("question_id", "value_choices")
    # Choice arrays are short; aggregate with unnest in SQL.
    sql, params = sql_qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT q, c, count(*) FROM (SELECT t.question_id AS q, unnest(t.value_choices) AS c FROM ({sql}) t) u GROUP BY q, c",
            params,
        )
        for qid, key, n in cursor.fetchall():
            choices.setdefault(qid, {})[key] = n
    return {q.pk: {"rating": rating.get(q.pk, {}), "choices": choices.get(q.pk, {})} for q in questions}


def comments(qs, *, limit: int = 50):
    return list(
        qs.exclude(comment="")
        .order_by("-submitted_at", "-id")
        .values("id", "submitted_at", "comment", "customer_org", "is_anonymous", "respondent_name", "language")[:limit]
    )


def response_rate(*, org: Organisation, start=None, end=None) -> tuple[int, int]:
    """(responses to invitations, invitations delivered)."""
    qs = Invitation.objects.filter(org=org, sent_at__isnull=False, bounced_at__isnull=True)
    if start:
        qs = qs.filter(sent_at__gte=start)
    if end:
        qs = qs.filter(sent_at__lt=end)
    agg = qs.aggregate(delivered=Count("id"), responded=Count("id", filter=Q(responded_at__isnull=False)))
    return agg["responded"], agg["delivered"]


# A benchmark is shown only when no single partner can be picked out of it.
BENCHMARK_MIN_PARTNERS = 5
BENCHMARK_MIN_RESPONSES_EACH = 10
# The hourly refresh stores it; one older than this (no worker running) is recomputed when read.
BENCHMARK_MAX_AGE = dt.timedelta(hours=6)

_BENCHMARK_SQL = """
WITH per_org AS (
    SELECT org_id, count(*) AS n, count(*) FILTER (WHERE is_anonymous) AS anonymous,
           count(*) FILTER (WHERE recommend >= 9) AS promoters, count(*) FILTER (WHERE recommend <= 6) AS detractors,
           sum(satisfaction) AS satisfaction, sum(keep_business) AS keep_business,
           sum(engage_again) AS engage_again, sum(recommend) AS recommend
    FROM csat_response WHERE submitted_at >= %s GROUP BY org_id
)
SELECT count(*), sum(n), sum(anonymous), sum(promoters), sum(detractors),
       sum(satisfaction)::float / sum(n), sum(keep_business)::float / sum(n),
       sum(engage_again)::float / sum(n), sum(recommend)::float / sum(n)
FROM per_org WHERE n >= %s
"""


def benchmark_compute(*, since: dt.datetime) -> tuple[int, dict | None]:
    """(partners counted, averages and NPS across them), the summary None when too few
    partners answer. One pass over the responses: it reads every partner's, so the
    periodic refresh calls it and pages read the stored result (`benchmark_stored`)."""
    with connection.cursor() as cursor:
        cursor.execute(_BENCHMARK_SQL, [since, BENCHMARK_MIN_RESPONSES_EACH])
        partners, total, anonymous, promoters, detractors, *averages = cursor.fetchone()
    if partners < BENCHMARK_MIN_PARTNERS:
        return partners, None
    summary = {
        "partners": partners,
        "total": int(total),
        "anonymous": int(anonymous),
        "promoters": int(promoters),
        "detractors": int(detractors),
        "nps": nps(int(promoters), int(detractors), int(total)),
        **{f"avg_{f}": avg for f, avg in zip(CORE_FIELDS, averages, strict=True)},
    }
    return partners, summary


def benchmark_stored() -> BenchmarkSnapshot | None:
    return BenchmarkSnapshot.objects.order_by("-computed_at").first()


def customer_org_options(*, org: Organisation) -> list[tuple[str, str]]:
    rows = (
        Response.objects.filter(org=org)
        .values("customer_org_key")
        .annotate(name=Count("id"))
        .values_list("customer_org_key", flat=True)
        .distinct()
        .order_by("customer_org_key")[:500]
    )
    return [(k, k) for k in rows]


def language_options(*, org: Organisation) -> list[str]:
    return list(Response.objects.filter(org=org).values_list("language", flat=True).distinct().order_by("language"))


def questions_for_org(*, org: Organisation, include_retired: bool = True):
    qs = Question.objects.filter(org=org).annotate(answer_count=Count("answers"))
    if not include_retired:
        qs = qs.filter(retired_at__isnull=True)
    return qs.order_by("order", "id")


def contacts_for_org(*, org: Organisation, search: str = ""):
    """The organisation's contacts, each marked `invited` once it has had an invitation
    (the planner counts only the others as ready to invite)."""
    qs = Contact.objects.filter(org=org).annotate(invited=Exists(Invitation.objects.filter(contact=OuterRef("pk"))))
    if search:
        qs = qs.filter(
            Q(email__icontains=search)
            | Q(last_name__icontains=search)
            | Q(first_name__icontains=search)
            | Q(customer_org__icontains=search)
        )
    return qs


def planner(*, org: Organisation, compliance: Compliance, reminder_delay: dt.timedelta, now=None) -> dict:
    """How many more people to invite, given the programme's 25% average response rate."""
    from .models import AVERAGE_RESPONSE_RATE

    now = now or timezone.now()
    inv = Invitation.objects.filter(org=org, cancelled_at__isnull=True)
    agg = inv.aggregate(
        outstanding=Count("id", filter=Q(responded_at__isnull=True, bounced_at__isnull=True)),
        due_reminder=Count(
            "id",
            filter=Q(
                sent_at__isnull=False,
                sent_at__lte=now - reminder_delay,
                reminded_at__isnull=True,
                responded_at__isnull=True,
                bounced_at__isnull=True,
                contact__opted_out_at__isnull=True,
            ),
        ),
        invited_orgs=Count("contact__customer_org_key", distinct=True),
    )
    need = max(0, REQUIRED_RESPONSES - compliance.counted)
    expected = int(agg["outstanding"] * AVERAGE_RESPONSE_RATE)
    to_invite = max(0, round((need - expected) / AVERAGE_RESPONSE_RATE)) if need else 0
    eligible = Contact.objects.filter(
        org=org, consent=True, opted_out_at__isnull=True, bounced_at__isnull=True, invitations__isnull=True
    ).aggregate(n=Count("id"), orgs=Count("customer_org_key", distinct=True))
    due = (
        inv.filter(
            sent_at__isnull=False,
            sent_at__lte=now - reminder_delay,
            reminded_at__isnull=True,
            responded_at__isnull=True,
            bounced_at__isnull=True,
            contact__opted_out_at__isnull=True,
        )
        .select_related("contact")
        .order_by("sent_at", "id")[:20]
    )
    return {
        "need": need,
        "recommended_total": round(REQUIRED_RESPONSES / AVERAGE_RESPONSE_RATE),
        "outstanding": agg["outstanding"],
        "expected": expected,
        "to_invite": to_invite,
        "due_reminder": agg["due_reminder"],
        "due_list": list(due),
        "invited_orgs": agg["invited_orgs"],
        "eligible": eligible["n"],
        "eligible_orgs": eligible["orgs"],
    }


def reports_for_org(*, org: Organisation):
    return MonthlyReport.objects.filter(org=org, mailed_at__isnull=False).defer("pdf").order_by("-month")[:12]
