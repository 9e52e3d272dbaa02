"""Keyset pagination walks a list forwards and backwards without skipping or repeating a row,
also where many rows share the first key (the id breaks the tie)."""

import datetime as dt
from urllib.parse import parse_qsl

import pytest
from django.test import RequestFactory

from partnerportal.models import AuditEntry
from partnerportal.pagination import keyset_page

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def entries(db):
    # 23 rows over 4 timestamps: pages of 5 cut through groups of equal timestamps.
    return AuditEntry.objects.bulk_create(
        AuditEntry(created_at=T0 + dt.timedelta(minutes=i % 4), action="test", object_type="t", object_id=str(i))
        for i in range(23)
    )


def _page(query: str, ordering):
    request = RequestFactory().get("/", dict(parse_qsl(query.lstrip("?"))))
    return keyset_page(request, AuditEntry.objects.all(), ordering, per_page=5)


def _expected(entries, ordering):
    rows = list(entries)
    for key in reversed(ordering):
        name = key.lstrip("-")
        rows.sort(key=lambda e: getattr(e, name), reverse=key.startswith("-"))
    return [e.pk for e in rows]


@pytest.mark.parametrize(
    "ordering",
    [("-created_at", "-id"), ("created_at", "id"), ("created_at", "-id")],
    ids=["newest first", "oldest first", "mixed directions"],
)
def test_walking_forwards_then_backwards_visits_every_row_once(entries, ordering):
    expected = _expected(entries, ordering)
    pages, query = [], ""
    while True:
        page = _page(query, ordering)
        pages.append([e.pk for e in page])
        if not page.has_next:
            break
        query = page.next_query
    assert [pk for p in pages for pk in p] == expected
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert not _page("", ordering).has_previous and page.has_previous

    back = []
    while page.has_previous:
        page = _page(page.previous_query, ordering)
        back.append([e.pk for e in page])
    assert back == pages[-2::-1]


def test_a_broken_cursor_shows_the_first_page(entries):
    ordering = ("-created_at", "-id")
    assert [e.pk for e in _page("?after=not-a-cursor", ordering)] == _expected(entries, ordering)[:5]
