import csv
import datetime as dt
import io
import re
import zlib

import pytest
import time_machine
from django.core.management import call_command
from openpyxl import load_workbook

from conftest import client_for, make_member, make_org
from csat.models import BenchmarkSnapshot, Contact, MonthlyReport, Question, Response
from csat.reports import build_results, neutralise, render_results_pdf
from csat.selectors import ResultFilters
from csat.services import monthly_reports_send, settings_for
from csat.tasks import refresh_benchmark as refresh_benchmark_job
from partnerportal.models import OutgoingMail, Role

from .factories import aware, make_contact, make_response


def test_neutralise_formula_cells():
    assert [neutralise(v) for v in ["=1+1", "+A", "-2", "@SUM", "ok", 5]] == ["'=1+1", "'+A", "'-2", "'@SUM", "ok", 5]


def test_csv_download_has_a_row_per_response_and_no_formulas(alice_client, org_a):
    q = Question.objects.create(org=org_a, kind="text", texts={"en": "Why?"})
    r = make_response(org_a, "=HYPERLINK(evil)", comment="@cmd")
    r.answers.create(org=org_a, question=q, value_text="+danger")
    body = b"".join(alice_client.get("/csat/download/csv/").streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][-1] == "Why?" and len(rows) == 2
    assert "'=HYPERLINK(evil)" in rows[1] and "'@cmd" in rows[1] and "'+danger" in rows[1]


def test_xlsx_download(alice_client, org_a):
    make_response(org_a, "-Contoso")
    wb = load_workbook(io.BytesIO(alice_client.get("/csat/download/xlsx/").content))
    values = [c.value for c in list(wb.active.iter_rows())[1]]
    assert "'-Contoso" in values


def test_anonymous_response_shows_no_person_in_downloads(alice_client, org_a):
    make_response(org_a, "Contoso", anonymous=True)
    body = b"".join(alice_client.get("/csat/download/csv/").streaming_content).decode("utf-8-sig")
    assert "dana" not in body.lower()


def test_pdf_with_cjk_and_hebrew_text(org_a):
    make_response(org_a, "東京商事", comment="とても良いサービスでした。非常满意。שירות מצוין")
    Question.objects.create(
        org=org_a,
        kind="single",
        texts={"en": "服务?"},
        choices=[{"key": "a", "texts": {"en": "是"}}, {"key": "b", "texts": {"en": "否"}}],
    )
    pdf = render_results_pdf(org=org_a)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
    fonts = _embedded_font_names(pdf)
    assert any(b"CJK" in f for f in fonts), fonts
    assert any(b"Hebrew" in f for f in fonts), fonts


def _embedded_font_names(pdf: bytes) -> set[bytes]:
    """The /FontName of every embedded font (WeasyPrint may compress object streams)."""
    chunks = [pdf]
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(raw))
        except zlib.error:
            continue
    return {m for chunk in chunks for m in re.findall(rb"/FontName\s*/([A-Za-z0-9+_-]+)", chunk)}


def test_results_page_and_filters(alice_client, org_a):
    make_response(org_a, "Contoso", recommend=10, language="de")
    make_response(org_a, "Fabrikam", recommend=3, language="en")
    r = alice_client.get("/csat/")
    assert r.status_code == 200
    assert r.context["summary"]["nps"] == 0.0
    r = alice_client.get("/csat/?language=de")
    assert r.context["summary"]["total"] == 1 and r.context["summary"]["nps"] == 100.0


def test_results_page_queries_do_not_grow(alice_client, org_a, django_assert_max_num_queries):
    for i in range(40):
        make_response(org_a, f"C{i}", comment=f"c{i}")
    with django_assert_max_num_queries(25):
        alice_client.get("/csat/")


def test_invite_page_queries_do_not_grow(alice_client, org_a, django_assert_max_num_queries):
    Contact.objects.bulk_create(
        [
            Contact(
                org=org_a,
                first_name="A",
                last_name=str(i),
                email=f"a{i}@c.example",
                customer_org="X",
                customer_org_key="x",
            )
            for i in range(120)
        ]
    )
    with django_assert_max_num_queries(20):
        r = alice_client.get("/csat/invite/")
    assert len(r.context["page"].object_list) == 50


def test_results_require_role(bob_client):
    assert bob_client.get("/csat/").status_code == 403
    assert bob_client.get("/csat/download/csv/").status_code == 403


def test_charlie_sees_none_of_alices_results(charlie_client, org_a):
    make_response(org_a, "Contoso", comment="secret comment")
    body = charlie_client.get("/csat/").content.decode()
    assert "secret comment" not in body


def _partners_with_responses(count, each, *, satisfaction=4):
    for i in range(count):
        org = make_org(f"PP-X{i}", f"X{i}")
        for _ in range(each):
            make_response(org, "Contoso", satisfaction=satisfaction)


def test_benchmark_only_with_enough_partners(alice_client, org_a):
    assert alice_client.get("/csat/").context["benchmark"] is None
    _partners_with_responses(4, 10)
    other = make_org("PP-Y", "Y")
    for _ in range(9):
        make_response(other, "Contoso")
    # Four partners with enough responses and one with nine: one partner could be picked out.
    call_command("refresh_benchmark")
    assert alice_client.get("/csat/").context["benchmark"] is None
    make_response(other, "Contoso")
    call_command("refresh_benchmark")
    assert alice_client.get("/csat/").context["benchmark"]["partners"] == 5


def test_benchmark_is_read_from_the_stored_figure_until_it_is_stale(alice_client, org_a):
    with time_machine.travel(aware(2026, 3, 1, 12), tick=False):
        _partners_with_responses(5, 10, satisfaction=4)
        refresh_benchmark_job()
    with time_machine.travel(aware(2026, 3, 1, 14), tick=False):
        make_response(org_a, "Contoso", satisfaction=1)
        Response.objects.exclude(org=org_a).update(satisfaction=2)
        page = alice_client.get("/csat/")
        # The page shows what the refresh stored, without reading every partner's responses.
        assert page.context["benchmark"]["avg_satisfaction"] == 4.0
        assert "Average satisfaction" in page.content.decode() and "All partners: 4.00" in page.content.decode()
        pdf_benchmark = build_results(org=org_a, filters=ResultFilters())["benchmark"]
        assert pdf_benchmark["avg_satisfaction"] == 4.0
    with time_machine.travel(aware(2026, 3, 1, 19), tick=False):
        # No refresh for more than six hours (no worker running): the next reader recomputes it.
        assert alice_client.get("/csat/").context["benchmark"]["avg_satisfaction"] == 2.0
        assert BenchmarkSnapshot.objects.get().computed_at == aware(2026, 3, 1, 19)


def test_benchmark_refresh_is_a_periodic_job(org_a):
    with time_machine.travel(aware(2026, 3, 1, 12), tick=False):
        _partners_with_responses(5, 10, satisfaction=5)
        make_response(org_a, "Contoso", at=aware(2025, 2, 28), satisfaction=1)  # before the 12 months
        assert refresh_benchmark_job() == 5
        assert refresh_benchmark_job() == 5
    snapshot = BenchmarkSnapshot.objects.get()
    assert snapshot.summary["total"] == 50 and snapshot.summary["avg_satisfaction"] == 5.0
    assert snapshot.summary["nps"] == 100.0 and snapshot.since == aware(2025, 3, 1, 12)


def test_programme_staff_see_aggregates_never_contacts(programme_staff, org_a):
    make_contact(org_a, "secret.person@customer.example")
    make_response(org_a, "Contoso")
    client = client_for(programme_staff)
    body = client.get("/csat/programme/").content.decode()
    assert "PP-A" in body
    assert "secret.person" not in body and "dana@customer.example" not in body and "Dana Lee" not in body
    assert client.get("/csat/invite/").status_code == 403
    assert client.get("/admin/csat/contact/").status_code in (302, 403)


def test_programme_page_requires_programme_staff(alice_client):
    assert alice_client.get("/csat/programme/").status_code == 403


def test_monthly_reports_are_sent_once_a_month(org_a, django_capture_on_commit_callbacks):
    org_a.account_email = "programme@a.example"
    org_a.save()
    s = settings_for(org=org_a)
    s.monthly_report = True
    s.save()
    make_response(org_a, "Contoso", at=aware(2026, 2, 10))
    with time_machine.travel(aware(2026, 3, 1, 6), tick=False):
        assert monthly_reports_send() == 1
        assert monthly_reports_send() == 0
        call_command("send_monthly_reports", "--org", "PP-A")
    report = MonthlyReport.objects.get()
    assert report.month == dt.date(2026, 2, 1) and bytes(report.pdf).startswith(b"%PDF")
    mail = OutgoingMail.objects.get(kind="csat_monthly_report")
    assert mail.to == "programme@a.example" and f"/csat/reports/{report.pk}/pdf/" in mail.body_text


def test_monthly_report_not_sent_without_opt_in(org_a):
    org_a.account_email = "programme@a.example"
    org_a.save()
    settings_for(org=org_a)
    assert monthly_reports_send(today=dt.date(2026, 3, 1)) == 0


@pytest.fixture
def report(org_a):
    return MonthlyReport.objects.create(
        org=org_a, month=dt.date(2026, 2, 1), pdf=b"%PDF-1.7", mailed_at=aware(2026, 3, 1)
    )


def test_report_download_checks_ownership(charlie_client, report):
    assert charlie_client.get(f"/csat/reports/{report.pk}/pdf/").status_code == 404


def test_report_download_requires_role(bob_client, report):
    assert bob_client.get(f"/csat/reports/{report.pk}/pdf/").status_code == 403


def test_report_download(alice_client, report):
    assert alice_client.get(f"/csat/reports/{report.pk}/pdf/").content == b"%PDF-1.7"


def test_survey_admin_role_is_enough(org_a):
    sam = make_member("sam@a.example", org_a, [Role.SURVEY_ADMIN])
    assert client_for(sam).get("/csat/").status_code == 200
