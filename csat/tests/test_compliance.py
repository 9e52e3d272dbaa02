import datetime as dt
import json

import pytest
import time_machine
from django.core.management import call_command

from conftest import make_member, make_org
from csat.models import ComplianceStatus, MtmEvaluation
from csat.selectors import compliance_for_org, counted_response_ids
from csat.services import compliance_refresh
from partnerportal.models import Location, OutgoingMail, Role

from .factories import aware, make_response

RENEWAL = dt.date(2026, 6, 1)
WINDOW_START = aware(2025, 6, 1)
WINDOW_END = aware(2026, 6, 1)


@pytest.fixture
def gold(db):
    return make_org("PP-G", "Gold Partner", membership_level="gold", renewal_date=RENEWAL)


def test_window_includes_a_response_exactly_12_months_before_renewal(gold):
    make_response(gold, "Contoso", at=WINDOW_START)
    assert compliance_for_org(org=gold, now=aware(2026, 5, 1)).counted == 1


def test_window_excludes_a_response_a_second_earlier(gold):
    make_response(gold, "Contoso", at=WINDOW_START - dt.timedelta(seconds=1))
    c = compliance_for_org(org=gold, now=aware(2026, 5, 1))
    assert c.counted == 0
    assert c.before_window == 1


def test_window_ends_at_the_renewal_date(gold):
    make_response(gold, "Contoso", at=WINDOW_END - dt.timedelta(seconds=1))
    make_response(gold, "Fabrikam", at=WINDOW_END)
    c = compliance_for_org(org=gold, now=aware(2026, 6, 2))
    assert c.counted == 1
    assert c.after_window == 1


def test_only_the_first_8_per_customer_org_count_with_ties_broken_by_id(gold):
    same_time = aware(2026, 1, 1, 12)
    rows = [make_response(gold, "Contoso Ltd." if i % 2 else "CONTOSO", at=same_time) for i in range(10)]
    counted = counted_response_ids(org=gold, now=aware(2026, 5, 1))
    assert counted == {r.pk for r in sorted(rows, key=lambda r: r.pk)[:8]}
    c = compliance_for_org(org=gold, now=aware(2026, 5, 1))
    assert (c.counted, c.over_cap, c.distinct_orgs) == (8, 2, 1)


def test_earlier_submission_counts_before_lower_id(gold):
    late = [make_response(gold, "Contoso", at=aware(2026, 2, 1)) for _ in range(8)]
    early = make_response(gold, "Contoso", at=aware(2026, 1, 1))
    counted = counted_response_ids(org=gold, now=aware(2026, 5, 1))
    assert early.pk in counted
    assert late[-1].pk not in counted


def test_two_customer_orgs_are_required(gold):
    for _ in range(8):
        make_response(gold, "Contoso", at=aware(2026, 1, 1))
    for _ in range(2):
        make_response(gold, "Contoso", at=aware(2026, 1, 2))  # over the cap
    c = compliance_for_org(org=gold, now=aware(2026, 5, 1))
    assert not c.met
    assert c.missing == "2 more responses, from any organization other than Contoso"
    make_response(gold, "Fabrikam", at=aware(2026, 1, 3))
    make_response(gold, "Fabrikam", at=aware(2026, 1, 3))
    c = compliance_for_org(org=gold, now=aware(2026, 5, 1))
    assert c.met and c.counted == 10 and c.distinct_orgs == 2 and c.path == "survey"


def test_nine_from_two_orgs_is_not_enough(gold):
    for i in range(9):
        make_response(gold, "A" if i < 5 else "B", at=aware(2026, 1, 1))
    c = compliance_for_org(org=gold, now=aware(2026, 5, 1))
    assert not c.met
    assert c.missing == "1 more response"


def test_anonymous_responses_count(gold):
    for i in range(10):
        make_response(gold, "A" if i < 5 else "B", at=aware(2026, 1, 1), anonymous=True)
    assert compliance_for_org(org=gold, now=aware(2026, 5, 1)).met


def test_training_partner_meets_it_with_10_mtm_evaluations(db):
    org = make_org("PP-T", "Trainers", competencies=["learning"], renewal_date=RENEWAL)
    for i in range(10):
        MtmEvaluation.objects.create(
            org=org, reference=f"E{i}", course="Azure", completed_at=WINDOW_START + dt.timedelta(days=i)
        )
    c = compliance_for_org(org=org, now=aware(2026, 5, 1))
    assert c.met and c.path == "mtm" and c.mtm_evaluations == 10


def test_mtm_evaluations_do_not_count_for_other_partners(gold):
    for i in range(10):
        MtmEvaluation.objects.create(org=gold, reference=f"E{i}", course="Azure", completed_at=aware(2026, 1, 1))
    assert not compliance_for_org(org=gold, now=aware(2026, 5, 1)).met


def test_mtm_evaluation_before_window_does_not_count(db):
    org = make_org("PP-T", "Trainers", competencies=["learning"], renewal_date=RENEWAL)
    for i in range(9):
        MtmEvaluation.objects.create(org=org, reference=f"E{i}", course="Azure", completed_at=aware(2026, 1, 1))
    MtmEvaluation.objects.create(
        org=org, reference="old", course="Azure", completed_at=WINDOW_START - dt.timedelta(seconds=1)
    )
    assert not compliance_for_org(org=org, now=aware(2026, 5, 1)).met


def test_each_membership_meets_it_separately_and_locations_do_not_split_it(db):
    one = make_org("PP-1", "Tailspin Services", renewal_date=RENEWAL)
    two = make_org("PP-2", "Tailspin Software", renewal_date=RENEWAL)
    Location.objects.create(org=one, name="Tokyo", country="JP", contact_name="K", contact_email="k@t.example")
    Location.objects.create(org=one, name="Osaka", country="JP", contact_name="K", contact_email="k@t.example")
    for i in range(10):
        make_response(one, "A" if i < 5 else "B", at=aware(2026, 1, 1))
    assert compliance_for_org(org=one, now=aware(2026, 5, 1)).met
    assert not compliance_for_org(org=two, now=aware(2026, 5, 1)).met


def test_refresh_records_status_and_notifies_survey_admins_once(gold):
    make_member("sam@gold.example", gold, [Role.SURVEY_ADMIN])
    make_member("bob@gold.example", gold, [])
    for i in range(10):
        make_response(gold, "A" if i < 5 else "B", at=aware(2026, 1, 1))
    with time_machine.travel(aware(2026, 5, 1), tick=False):
        assert compliance_refresh()["became_met"] == 1
        assert compliance_refresh()["became_met"] == 0
    status = ComplianceStatus.objects.get(org=gold)
    assert status.met and status.counted_responses == 10 and status.path == "survey"
    sent = OutgoingMail.objects.filter(kind="csat_compliance_met")
    assert list(sent.values_list("to", flat=True)) == ["sam@gold.example"]


def test_refresh_records_every_organisations_status_with_the_cap_and_each_path(gold):
    trainer = make_org("PP-T", "Trainers", competencies=["learning"], renewal_date=RENEWAL)
    idle = make_org("PP-I", "Idle Partner")
    for _ in range(12):
        make_response(gold, "Contoso", at=aware(2026, 1, 1))  # 8 of them count
    make_response(gold, "Fabrikam", at=aware(2026, 1, 2))
    make_response(gold, "Fabrikam", at=WINDOW_START - dt.timedelta(seconds=1))  # before the window
    for i in range(10):
        MtmEvaluation.objects.create(org=trainer, reference=f"E{i}", course="Azure", completed_at=aware(2026, 1, 1))
    with time_machine.travel(aware(2026, 5, 1), tick=False):
        assert compliance_refresh() == {"organisations": 3, "became_met": 1}
    statuses = {s.org_id: s for s in ComplianceStatus.objects.all()}
    g, t, i = statuses[gold.pk], statuses[trainer.pk], statuses[idle.pk]
    assert (g.counted_responses, g.distinct_customer_orgs, g.met, g.path) == (9, 2, False, "")
    assert (g.window_start, g.window_end) == (WINDOW_START, WINDOW_END)
    assert (t.mtm_evaluations, t.met, t.path) == (10, True, "mtm") and t.met_since == aware(2026, 5, 1)
    assert (i.counted_responses, i.met) == (0, False) and i.window_end == aware(2026, 5, 1)
    make_response(gold, "Fabrikam", at=aware(2026, 1, 3))
    with time_machine.travel(aware(2026, 5, 2), tick=False):
        assert compliance_refresh() == {"organisations": 3, "became_met": 1}
    g, t = ComplianceStatus.objects.get(org=gold), ComplianceStatus.objects.get(org=trainer)
    assert (g.counted_responses, g.met, g.path, g.met_since) == (10, True, "survey", aware(2026, 5, 2))
    assert t.met_since == aware(2026, 5, 1)  # still met: since the first time


def test_refresh_clears_met_when_window_moves_on(gold):
    for i in range(10):
        make_response(gold, "A" if i < 5 else "B", at=aware(2026, 1, 1))
    with time_machine.travel(aware(2026, 5, 1), tick=False):
        compliance_refresh()
    gold.renewal_date = dt.date(2027, 6, 1)
    gold.save()
    with time_machine.travel(aware(2027, 5, 1), tick=False):
        compliance_refresh()
    assert not ComplianceStatus.objects.get(org=gold).met


def test_csat_compliance_command_prints_json(gold, capsys):
    for i in range(10):
        make_response(gold, "A" if i < 5 else "B", at=aware(2026, 1, 1))
    with time_machine.travel(aware(2026, 5, 1), tick=False):
        call_command("csat_compliance", "--org", "PP-G", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["partner_id"] == "PP-G"
    assert data["met"] is True and data["path"] == "survey"
    assert data["counted_responses"] == 10 and data["distinct_customer_orgs"] == 2
    assert data["window_start"].startswith("2025-06-01")


def test_compliance_is_computed_in_a_constant_number_of_queries(gold, django_assert_max_num_queries):
    for i in range(30):
        make_response(gold, f"Customer {i % 7}", at=aware(2026, 1, 1))
    with django_assert_max_num_queries(2):
        c = compliance_for_org(org=gold, now=aware(2026, 5, 1))
    assert c.counted == 30


def test_dashboard_panel_shows_whats_missing(gold):
    from conftest import client_for

    sam = make_member("sam@gold.example", gold, [Role.SURVEY_ADMIN])
    for _ in range(8):
        make_response(gold, "Contoso", at=aware(2026, 1, 1))
    with time_machine.travel(aware(2026, 5, 1), tick=False):
        body = client_for(sam).get("/dashboard/").content.decode()
    assert "2 more responses, from any organization other than Contoso" in body


def test_dashboard_links_the_stylesheet_that_draws_the_panels_progress_bar(gold):
    from conftest import client_for

    sam = make_member("sam@gold.example", gold, [Role.SURVEY_ADMIN])
    body = client_for(sam).get("/dashboard/").content.decode()
    assert "csat-w-0" in body
    assert body.count("csat/csat.css") == 1
