"""Property-based tests (hypothesis): whatever a person uploads as a contacts file or posts to
the public survey, the portal answers with a page and an explanation, never a crash, and it
keeps all of it or none of it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csat import services
from csat.models import Contact, ContactImport, Question, Response
from partnerportal.errors import DomainError

pytestmark = pytest.mark.django_db

FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HEADER = "first_name,last_name,email,customer_organisation,language,consent"
VALID_CELLS = {
    "first_name": st.sampled_from(["Ana", "明", "Łukasz", ""]),
    "last_name": st.sampled_from(["Kovač", "王", "O'Brien"]),
    "email": st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.example", fullmatch=True),
    "customer_organisation": st.sampled_from(["Contoso", "Fourth Coffee", "Tailwind; Traders"]),
    "language": st.sampled_from(["en", "de", "zh-hans", "he", "xx"]),
    "consent": st.sampled_from(["yes", "no", "ja", "maybe"]),
}
# Cells that are sometimes plausible, sometimes anything at all (quotes, separators, line breaks).
CELL = {k: st.one_of(v, st.text(max_size=30)) for k, v in VALID_CELLS.items()}


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',;"\r\n') else value


ROWS = st.lists(st.fixed_dictionaries(CELL), max_size=8).map(
    lambda rows: (HEADER + "\n" + "\n".join(",".join(_csv_cell(r[k]) for k in VALID_CELLS) for r in rows)).encode()
)
ANY_FILE = st.one_of(
    ROWS,
    st.binary(max_size=600),
    st.text(max_size=400).map(str.encode),
    st.text(max_size=400).map(lambda t: (HEADER + "\n" + t).encode("utf-8")),
)


def _rolled_back():
    """Each example in a savepoint of its own, so examples never see each other's rows."""
    return transaction.atomic()


class _Rollback(Exception):
    pass


@FAST
@given(data=ANY_FILE, name=st.sampled_from(["contacts.csv", "contacts.txt", "contacts.xlsx"]))
def test_any_file_is_previewed_or_refused_and_imported_whole_or_not_at_all(org_a, alice, data, name):
    try:
        with _rolled_back():
            try:
                imp = services.import_preview(org=org_a, actor=alice, filename=name, data=data)
            except DomainError as exc:
                assert exc.message  # a sentence for the person, on the upload field
                assert not ContactImport.objects.exists()
                raise _Rollback from None
            assert imp.total_rows == len(imp.rows) + len({e["line"] for e in imp.errors})
            try:
                imported = services.import_commit(imp=imp, actor=alice)
            except DomainError:
                assert imp.errors and not Contact.objects.exists()  # nothing, not the good half
            else:
                assert not imp.errors and imported == imp.total_rows == Contact.objects.count()
            raise _Rollback
    except _Rollback:
        pass


SURVEY_FIELDS = ["satisfaction", "keep_business", "engage_again", "recommend", "comment", "name", "email", "company"]
ANSWER = st.one_of(
    st.sampled_from(["1", "3", "5", "10", "0", "-1", "--5", "²", "٣", "9" * 30, "", " 4 "]),
    st.text(max_size=40),
)


@pytest.fixture
def survey(org_a):
    from django.conf import settings as django_settings

    Question.objects.create(org=org_a, kind="rating", texts={"en": "Docs?"}, required=True)
    Question.objects.create(
        org=org_a,
        kind="multiple",
        texts={"en": "Which?"},
        choices=[{"key": "a", "texts": {"en": "A"}}, {"key": "b", "texts": {"en": "B"}}],
    )
    link = services.open_link(survey_settings=services.settings_for(org=org_a))
    return link.replace(django_settings.SITE_URL, ""), list(Question.objects.filter(org=org_a))


@FAST
@given(
    answers=st.dictionaries(st.sampled_from(SURVEY_FIELDS), ANSWER),
    custom=st.lists(ANSWER, max_size=3),
    anonymous=st.booleans(),
)
def test_any_survey_answers_get_a_page_and_are_saved_whole_or_not_at_all(survey, answers, custom, anonymous):
    url, questions = survey
    cache.clear()  # the public page's rate limit is not what this test is about
    post = {**answers, **{f"q{q.pk}": custom for q in questions}}
    if anonymous:
        post["anonymous"] = "on"
    before = (Response.objects.count(), _answer_count())
    with _rolled_back():
        response = Client().post(url, post)
        assert response.status_code in (200, 400)
        if response.status_code == 400:
            assert "csat/survey.html" in [t.name for t in response.templates]
            assert (Response.objects.count(), _answer_count()) == before
        else:
            assert "csat/survey_thanks.html" in [t.name for t in response.templates]
            assert Response.objects.count() == before[0] + 1
            saved = Response.objects.latest("id")
            assert 1 <= saved.satisfaction <= 5 and 0 <= saved.recommend <= 10
        transaction.set_rollback(True)


def _answer_count() -> int:
    from csat.models import Answer

    return Answer.objects.count()
