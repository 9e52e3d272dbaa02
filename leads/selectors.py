"""Reads for the lead pages, the directory and the programme's funnel."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from babel import Locale, UnknownLocaleError
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Aggregate, Count, Exists, F, FloatField, OuterRef, Q, QuerySet
from django.db.models.functions import Extract
from django.utils import timezone, translation

from partnerportal.models import Organisation, User

from .models import RESPONSE_WINDOW, BusinessProfile, Favourite, Lead

TABS = ("marketplace", "qualified", "favourites")


def lead_list(
    *,
    org: Organisation,
    user: User,
    tab: str = "marketplace",
    status: str = "",
    type: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    q: str = "",
) -> QuerySet[Lead]:
    """The leads of one tab, filtered, with each row's heart for this person. Ordered by
    the caller (keyset pagination on received_at, id)."""
    qs = Lead.objects.filter(org=org)
    if tab == "favourites":
        # Start from the person's hearts (few rows) rather than testing every lead.
        qs = qs.filter(pk__in=Favourite.objects.filter(user=user, org=org).values("lead_id"))
    elif tab == "qualified":
        qs = qs.filter(type__in=Lead.QUALIFIED)
    else:
        qs = qs.filter(type=Lead.Type.CUSTOMER_INQUIRY)
    if type in Lead.Type.values and tab != "marketplace":
        qs = qs.filter(type=type)
    if status == "archived":
        qs = qs.filter(status__in=Lead.ARCHIVED)
    elif status in Lead.Status.values:
        qs = qs.filter(status=status)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(received_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(received_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    if q := q.strip():
        qs = qs.filter(Q(customer_company__icontains=q) | Q(contact_name__icontains=q) | Q(deal_name__icontains=q))
    return qs.annotate(is_favourite=Exists(Favourite.objects.filter(user=user, lead=OuterRef("pk"))))


# The dashboard counts each stage up to this many leads and shows "999+" beyond: reading a
# bounded slice of one index per stage keeps the panel cheap however many leads there are.
DASHBOARD_COUNT_CAP = 999


def lead_dashboard_counts(*, org: Organisation) -> dict:
    """Leads awaiting a response, those of them expiring within 2 days, and deals in progress,
    each counted up to DASHBOARD_COUNT_CAP (an index-only read of at most that many entries),
    and whether the profile is published: one query."""
    sql = """
        SELECT (SELECT count(*) FROM (SELECT 1 FROM leads_lead
                 WHERE org_id = %(org)s AND status = %(received)s LIMIT %(limit)s) s),
               (SELECT count(*) FROM (SELECT 1 FROM leads_lead
                 WHERE org_id = %(org)s AND status = %(received)s AND received_at <= %(soon)s LIMIT %(limit)s) s),
               (SELECT count(*) FROM (SELECT 1 FROM leads_lead
                 WHERE org_id = %(org)s AND status = %(accepted)s LIMIT %(limit)s) s),
               EXISTS (SELECT 1 FROM leads_businessprofile WHERE org_id = %(org)s AND is_published)
    """
    params = {
        "org": org.pk,
        "received": Lead.Status.RECEIVED,
        "accepted": Lead.Status.ACCEPTED,
        "soon": timezone.now() - RESPONSE_WINDOW + dt.timedelta(days=2),
        "limit": DASHBOARD_COUNT_CAP + 1,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        *numbers, has_profile = cursor.fetchone()
    counts: dict = {"has_profile": has_profile}
    for name, n in zip(("received", "expiring", "accepted"), numbers, strict=True):
        counts[name] = min(n, DASHBOARD_COUNT_CAP)
        counts[f"{name}_more"] = n > DASHBOARD_COUNT_CAP
    return counts


# --- Directory ------------------------------------------------------------------------------


def directory_search(*, q: str = "", country: str = "", company_size: str = "") -> QuerySet[BusinessProfile]:
    """Published profiles matching the search, the most responsive partners first and the
    best text match next. Full-text search on the GIN-indexed vector, never a scan."""
    qs = BusinessProfile.objects.filter(is_published=True, org__is_active=True).select_related("org")
    if country:
        qs = qs.filter(countries__contains=[country.upper()])
    if company_size:
        qs = qs.filter(company_sizes__contains=[company_size])
    if q := q.strip():
        query = SearchQuery(q, search_type="websearch", config="simple")
        qs = qs.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
        return qs.order_by("response_tier", "-rank", "id")
    return qs.order_by("response_tier", "org__name", "id")


# Babel's territories include groupings and private-use codes that are not countries.
NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "XK", "ZZ"}


def country_names(language: str | None = None) -> dict[str, str]:
    language = language or translation.get_language() or "en"
    try:
        locale = Locale.parse(translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        locale = Locale("en")
    return {
        code: name
        for code, name in locale.territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    names = country_names(language)
    return sorted(names.items(), key=lambda item: item[1])


# --- Programme funnel -----------------------------------------------------------------------


class Median(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def lead_funnel(*, date_from: dt.date | None = None, date_to: dt.date | None = None) -> list[dict]:
    """Per partner: received -> accepted -> won, declined and expired counts, decline reasons
    and the median response time. Aggregated in SQL; no customer details leave the query."""
    qs = Lead.objects.all()
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(received_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(received_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    accepted = (Lead.Status.ACCEPTED, Lead.Status.WON, Lead.Status.LOST)
    rows = list(
        qs.values("org_id", "org__name", "org__partner_id")
        .annotate(
            received=Count("id"),
            open=Count("id", filter=Q(status=Lead.Status.RECEIVED)),
            accepted=Count("id", filter=Q(status__in=accepted)),
            won=Count("id", filter=Q(status=Lead.Status.WON)),
            lost=Count("id", filter=Q(status=Lead.Status.LOST)),
            declined=Count("id", filter=Q(status=Lead.Status.DECLINED)),
            expired=Count("id", filter=Q(status=Lead.Status.EXPIRED)),
            median_seconds=Median(
                Extract(F("responded_at") - F("received_at"), "epoch"), filter=Q(responded_at__isnull=False)
            ),
        )
        .order_by("org__name", "org_id")
    )
    reasons: dict[int, list[tuple[str, int]]] = defaultdict(list)
    labels = dict(Lead.DeclineReason.choices)
    for row in (
        qs.filter(status=Lead.Status.DECLINED)
        .values("org_id", "decline_reason")
        .annotate(n=Count("id"))
        .order_by("org_id", "-n", "decline_reason")
    ):
        reasons[row["org_id"]].append((str(labels.get(row["decline_reason"], row["decline_reason"])), row["n"]))
    for row in rows:
        row["reasons"] = reasons.get(row["org_id"], [])
        row["median_response"] = (
            dt.timedelta(seconds=round(row["median_seconds"])) if row["median_seconds"] is not None else None
        )
        row["acceptance_rate"] = round(100 * row["accepted"] / row["received"]) if row["received"] else 0
    return rows
