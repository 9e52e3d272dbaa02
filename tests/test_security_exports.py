"""Every CSV and spreadsheet download neutralises cells a spreadsheet would run as a formula,
whoever typed them (a customer in the survey or the directory, an agent, a partner)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache
from django.urls import reverse
from openpyxl import load_workbook

from conftest import client_for
from partnerportal.exports import FORMULA_START
from tests.urlwalk import routes

pytestmark = pytest.mark.django_db

EVIL = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-3+4", "@SUM(1)", "\tcmd"]

# URL name -> (who downloads it, query string). PDFs and the blank contacts template are not tables of user data.
EXPORTS = {
    "csat:results_download/csv": ("alice", ""),
    "csat:results_download/xlsx": ("alice", ""),
    "leads:lead_export": ("alice", "?tab=marketplace"),
    "contacts:reports_export": ("programme_staff", "?dimension=agent"),
    "contacts:complaints": ("programme_staff", "?format=csv"),
}
NOT_TABLES = {"csat:results_download/pdf", "csat:report_download", "csat:contacts_template"}


def test_every_download_is_in_the_list():
    downloads = {r.name for r in routes() if any(w in r.route for w in ("export", "download", ".csv", "template."))}
    listed = {name.split("/")[0] for name in EXPORTS} | {name.split("/")[0] for name in NOT_TABLES}
    assert downloads - listed == set()


@pytest.fixture
def seeded(org_a, alice, agent):
    from contacts import services as contacts
    from contacts.taxonomy import invalidate
    from csat.tests.factories import make_response
    from leads.tests.conftest import make_inquiry, publish_profile
    from partnerportal.models import Location

    cache.clear()
    invalidate()
    for value in EVIL:
        make_response(org_a, company=value, comment=value)
    location = Location.objects.create(
        org=org_a, name="Seattle", country="US", contact_name="Dana", contact_email="dana@a.example"
    )
    publish_profile(org_a, [location])
    for value in EVIL:
        make_inquiry(org_a, customer_company=value, contact_name=value, need=value)
    agent.full_name = EVIL[0]
    agent.save()
    from contacts.tests.conftest import reason_at

    complaint = reason_at("Feedback", "Complaint")
    for i, value in enumerate(EVIL):
        contacts.contact_create(
            agent=agent,
            reason=complaint,
            action_taken="resolved",
            new_caller={"name": value, "email": f"c{i}@x.example", "phone": "", "company": value},
            complaint_description=value,
            notes=value,
            product=value[:50],
        )
    yield
    invalidate()


def _cells(response, xlsx: bool) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if xlsx:
        sheet = load_workbook(io.BytesIO(body)).worksheets[0]
        cells = [c for row in sheet.iter_rows() for c in row]
        assert all(c.data_type != "f" for c in cells)
        return [str(c.value) for c in cells if c.value is not None]
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]


@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_no_cell_of_a_download_starts_a_formula(request, seeded, export):
    name, _, fmt = export.partition("/")
    who, query = EXPORTS[export]
    url = reverse(name, kwargs={"fmt": fmt} if fmt else {}) + query
    response = client_for(request.getfixturevalue(who)).get(url)
    assert response.status_code == 200
    cells = _cells(response, xlsx=fmt == "xlsx")
    assert any(c.startswith("'") and c[1:] in EVIL for c in cells), "the seeded values are in the file"
    assert [c for c in cells if c.startswith(FORMULA_START)] == []
