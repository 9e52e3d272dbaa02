"""Partner, public and programme pages, through the client, checking the database after."""

import csv
import io

import pytest
from django.core.cache import cache
from django.urls import reverse

from conftest import client_for, make_member
from leads import services
from leads.models import BusinessProfile, Favourite, Lead
from partnerportal.models import OutgoingMail, Role

from .conftest import CUSTOMER, DEAL, make_inquiry, make_qualified

ACCEPT_POST = {**DEAL, "purchase_timeframe": "3m"}


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


# --- Ownership and roles on every view that takes an id ----------------------------------------

LEAD_VIEWS = [
    ("leads:lead_detail", "get"),
    ("leads:lead_accept", "post"),
    ("leads:lead_decline", "post"),
    ("leads:lead_edit", "post"),
    ("leads:lead_add_contact", "post"),
    ("leads:lead_mark_won", "post"),
    ("leads:lead_mark_lost", "post"),
    ("leads:lead_favourite", "post"),
]


@pytest.mark.parametrize("name,method", LEAD_VIEWS)
def test_it_checks_ownership(charlie_client, lead_a, name, method):
    response = getattr(charlie_client, method)(reverse(name, args=[lead_a.pk]), ACCEPT_POST)
    assert response.status_code == 404
    lead_a.refresh_from_db()
    assert lead_a.status == Lead.Status.RECEIVED
    assert not Favourite.objects.exists()


@pytest.mark.parametrize("name,method", LEAD_VIEWS)
def test_it_requires_role(bob_client, lead_a, name, method):
    response = getattr(bob_client, method)(reverse(name, args=[lead_a.pk]), ACCEPT_POST)
    assert response.status_code == 403
    lead_a.refresh_from_db()
    assert lead_a.status == Lead.Status.RECEIVED


@pytest.mark.parametrize(
    "name", ["leads:lead_list", "leads:lead_list_qualified", "leads:lead_list_favourites", "leads:profile_edit"]
)
def test_partner_pages_require_the_referral_role(bob_client, name):
    assert bob_client.get(reverse(name)).status_code == 403


def test_referral_admin_gets_in(profile_a, rita):
    lead = make_inquiry(profile_a.org)
    assert client_for(rita).get(reverse("leads:lead_detail", args=[lead.pk])).status_code == 200


def test_charlie_does_not_see_alices_leads_in_his_lists(charlie_client, lead_a, profile_b):
    body = charlie_client.get(reverse("leads:lead_list")).content.decode()
    assert CUSTOMER["customer_company"] not in body
    export = charlie_client.get(reverse("leads:lead_export") + "?tab=marketplace")
    assert CUSTOMER["customer_company"] not in b"".join(export.streaming_content).decode()


# --- Lists ----------------------------------------------------------------------------------


def test_tabs_split_inquiries_from_qualified_leads(profile_a, alice_client, programme_staff):
    make_inquiry(profile_a.org, customer_company="Inquiry Co")
    make_qualified(profile_a.org, programme_staff, customer_company="Sales Co")
    make_qualified(profile_a.org, programme_staff, type=Lead.Type.MARKETING_QUALIFIED, customer_company="Mkt Co")
    market = alice_client.get(reverse("leads:lead_list")).content.decode()
    qualified = alice_client.get(reverse("leads:lead_list_qualified")).content.decode()
    assert "Inquiry Co" in market and "Sales Co" not in market
    assert "Sales Co" in qualified and "Mkt Co" in qualified and "Inquiry Co" not in qualified
    only_mql = alice_client.get(reverse("leads:lead_list_qualified") + "?type=marketing_qualified").content.decode()
    assert "Mkt Co" in only_mql and "Sales Co" not in only_mql


def test_filters_by_status_search_and_date(profile_a, alice, alice_client):
    keep = make_inquiry(profile_a.org, customer_company="Fourth Coffee")
    gone = make_inquiry(profile_a.org, customer_company="Wide World Importers")
    services.lead_decline(lead=gone, actor=alice, reason="other", notes="No")
    url = reverse("leads:lead_list")
    assert "Wide World" not in alice_client.get(url + "?status=received").content.decode()
    archived = alice_client.get(url + "?status=archived").content.decode()
    assert "Wide World" in archived and "Fourth Coffee" not in archived
    assert "Wide World" not in alice_client.get(url + "?q=fourth").content.decode()
    day = keep.received_at.date().isoformat()
    assert "Fourth Coffee" in alice_client.get(url + f"?date_from={day}&date_to={day}").content.decode()
    assert "Fourth Coffee" not in alice_client.get(url + "?date_to=2000-01-01").content.decode()


def test_favourites_tab_and_heart_are_per_person(profile_a, alice, alice_client, rita):
    lead = make_inquiry(profile_a.org, customer_company="Hearted Ltd")
    make_inquiry(profile_a.org, customer_company="Plain Ltd")
    response = alice_client.post(reverse("leads:lead_favourite", args=[lead.pk]), {"next": reverse("leads:lead_list")})
    assert response.status_code == 302 and response["Location"] == reverse("leads:lead_list")
    assert Favourite.objects.filter(user=alice, lead=lead).exists()
    mine = alice_client.get(reverse("leads:lead_list_favourites")).content.decode()
    assert "Hearted Ltd" in mine and "Plain Ltd" not in mine
    assert "Hearted Ltd" not in client_for(rita).get(reverse("leads:lead_list_favourites")).content.decode()
    alice_client.post(reverse("leads:lead_favourite", args=[lead.pk]))
    assert not Favourite.objects.exists()


def test_list_shows_time_left_on_received_leads(lead_a, alice_client):
    body = alice_client.get(reverse("leads:lead_list")).content.decode()
    assert "fa-clock" in body and "left" in body


def test_list_queries_do_not_grow_with_rows(profile_a, alice, alice_client, django_assert_max_num_queries):
    for i in range(60):
        lead = make_inquiry(profile_a.org, customer_company=f"Customer {i}", may_contact_directly=bool(i % 2))
        if i % 3 == 0:
            services.lead_favourite_toggle(lead=lead, user=alice)
    for tab in ("leads:lead_list", "leads:lead_list_favourites"):
        with django_assert_max_num_queries(10):
            response = alice_client.get(reverse(tab))
        assert response.status_code == 200
    page = alice_client.get(reverse("leads:lead_list")).context["page"]
    assert len(page.object_list) == 50 and page.has_next
    with django_assert_max_num_queries(10):
        second = alice_client.get(reverse("leads:lead_list") + page.next_query)
    assert len(second.context["page"].object_list) == 10


# --- Detail and actions ---------------------------------------------------------------------


def test_detail_offers_the_actions_of_each_state(lead_a, alice, alice_client):
    url = reverse("leads:lead_detail", args=[lead_a.pk])
    body = alice_client.get(url).content.decode()
    assert reverse("leads:lead_accept", args=[lead_a.pk]) in body
    assert reverse("leads:lead_mark_won", args=[lead_a.pk]) not in body
    services.lead_accept(lead=lead_a, actor=alice, **DEAL)
    body = alice_client.get(url).content.decode()
    assert reverse("leads:lead_accept", args=[lead_a.pk]) not in body
    assert reverse("leads:lead_mark_won", args=[lead_a.pk]) in body
    assert reverse("leads:lead_edit", args=[lead_a.pk]) in body
    services.lead_mark_won(lead=lead_a, actor=alice)
    body = alice_client.get(url).content.decode()
    for name in ("lead_accept", "lead_decline", "lead_edit", "lead_add_contact", "lead_mark_won", "lead_mark_lost"):
        assert reverse(f"leads:{name}", args=[lead_a.pk]) not in body
    assert "No further action is possible" in body
    # History from the audit log: every transition, who and when.
    history = [e.action for e in alice_client.get(url).context["history"]]
    assert history == ["lead.received", "lead.accepted", "lead.won"]


def test_accept_through_the_page(lead_a, alice_client):
    data = {**ACCEPT_POST, "colleague_name": "Sid", "colleague_email": "sid@a.example"}
    response = alice_client.post(reverse("leads:lead_accept", args=[lead_a.pk]), data)
    assert response.status_code == 302
    lead_a.refresh_from_db()
    assert lead_a.status == Lead.Status.ACCEPTED and lead_a.contacts.get().name == "Sid"


def test_accept_page_shows_missing_fields_next_to_them(lead_a, alice_client):
    response = alice_client.post(reverse("leads:lead_accept", args=[lead_a.pk]), {**ACCEPT_POST, "deal_notes": ""})
    assert response.status_code == 200
    assert "deal_notes" in response.context["form"].errors
    lead_a.refresh_from_db()
    assert lead_a.status == Lead.Status.RECEIVED


def test_decline_through_the_page_hides_the_customer_afterwards(lead_a, alice_client):
    response = alice_client.post(
        reverse("leads:lead_decline", args=[lead_a.pk]), {"reason": "not_a_fit", "notes": "Not our field"}
    )
    assert response.status_code == 302
    lead_a.refresh_from_db()
    assert lead_a.status == Lead.Status.DECLINED
    body = alice_client.get(reverse("leads:lead_detail", args=[lead_a.pk])).content.decode()
    assert CUSTOMER["contact_email"] not in body and CUSTOMER["contact_phone"] not in body
    assert CUSTOMER["contact_name"] not in body


def test_server_refuses_actions_on_archived_leads(lead_a, alice, alice_client):
    services.lead_decline(lead=lead_a, actor=alice, reason="other", notes="No")
    response = alice_client.post(reverse("leads:lead_accept", args=[lead_a.pk]), ACCEPT_POST)
    assert response.status_code == 200
    assert "archived" in str(response.context["form"].non_field_errors())
    lead_a.refresh_from_db()
    assert lead_a.status == Lead.Status.DECLINED
    # Opening an action page of an archived lead leads back with a message.
    response = alice_client.get(reverse("leads:lead_edit", args=[lead_a.pk]), follow=True)
    assert "no further action is possible" in response.content.decode()


def test_edit_add_contact_and_close_through_the_pages(accepted_lead, alice_client):
    pk = accepted_lead.pk
    assert alice_client.post(reverse("leads:lead_edit", args=[pk]), {**ACCEPT_POST, "crm_id": "C-1"}).status_code == 302
    assert (
        alice_client.post(
            reverse("leads:lead_add_contact", args=[pk]), {"name": "Sid", "email": "sid@a.example"}
        ).status_code
        == 302
    )
    assert alice_client.post(reverse("leads:lead_mark_lost", args=[pk]), {"notes": "Budget cut"}).status_code == 302
    accepted_lead.refresh_from_db()
    assert accepted_lead.crm_id == "C-1" and accepted_lead.contacts.count() == 1
    assert accepted_lead.status == Lead.Status.LOST and accepted_lead.outcome_notes == "Budget cut"


# --- CSV export -----------------------------------------------------------------------------


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export_neutralises_formulas_and_hides_closed_contacts(profile_a, alice, alice_client):
    make_inquiry(profile_a.org, customer_company='=HYPERLINK("http://x")', contact_name="+Evil")
    declined = make_inquiry(profile_a.org, customer_company="Gone Ltd", contact_email="gone@x.example")
    services.lead_decline(lead=declined, actor=alice, reason="other", notes="No")
    rows = _csv(alice_client.get(reverse("leads:lead_export") + "?tab=marketplace"))
    by_company = {row[6]: row for row in rows[1:]}
    assert '\'=HYPERLINK("http://x")' in by_company and by_company['\'=HYPERLINK("http://x")'][9] == "'+Evil"
    assert by_company["Gone Ltd"][10] == "" and "gone@x.example" not in str(rows)


def test_export_follows_the_tab_and_filters(profile_a, alice_client, programme_staff):
    make_inquiry(profile_a.org, customer_company="Inquiry Co")
    make_qualified(profile_a.org, programme_staff, customer_company="Sales Co")
    rows = _csv(alice_client.get(reverse("leads:lead_export") + "?tab=qualified"))
    assert [r[6] for r in rows[1:]] == ["Sales Co"]


# --- Business profile -----------------------------------------------------------------------


def test_profile_edit_and_publish(org_a, location_a, alice_client):
    data = {
        "description": "Modern workplace projects.",
        "keywords": "teams, sharepoint",
        "industries": ["education"],
        "company_sizes": ["1-9"],
        "locations": [location_a.pk],
    }
    assert alice_client.post(reverse("leads:profile_edit"), data).status_code == 302
    profile = BusinessProfile.objects.get(org=org_a)
    assert profile.keywords == ["teams", "sharepoint"] and profile.countries == ["US"] and not profile.is_published
    alice_client.post(reverse("leads:profile_publish"), {"publish": "1"})
    profile.refresh_from_db()
    assert profile.is_published
    alice_client.post(reverse("leads:profile_publish"), {"publish": "0"})
    profile.refresh_from_db()
    assert not profile.is_published


def test_profile_form_offers_only_own_locations(profile_b, alice_client, location_a):
    foreign = profile_b.locations.get()
    data = {"description": "x", "keywords": "a", "company_sizes": ["1-9"], "locations": [foreign.pk]}
    response = alice_client.post(reverse("leads:profile_edit"), data)
    assert response.status_code == 200 and "locations" in response.context["form"].errors


# --- Public directory -----------------------------------------------------------------------


def test_directory_needs_no_login_and_finds_by_keyword(client, profile_a, profile_b):
    body = client.get(reverse("leads:directory") + "?q=security").content.decode()
    assert "Charlie Partners" in body and "Alice Partners" not in body
    body = client.get(reverse("leads:directory") + "?country=PL").content.decode()
    assert "Alice Partners" in body and "Charlie Partners" not in body
    body = client.get(reverse("leads:directory") + "?company_size=1000%2B").content.decode()
    assert "Alice Partners" not in body


def test_directory_hides_unpublished_profiles(client, profile_a):
    services.profile_set_published(profile=profile_a, published=False, actor=None)
    assert "Alice Partners" not in client.get(reverse("leads:directory")).content.decode()
    assert client.get(reverse("leads:directory_profile", args=[profile_a.pk])).status_code == 404


def test_directory_ranks_responsive_partners_first(client, profile_a, profile_b, alice, charlie):
    import datetime as dt

    from django.utils import timezone

    # Charlie answers within hours, Alice after ten days: Charlie ranks first although the
    # text matches Alice better.
    services.profile_save(
        org=profile_b.org,
        actor=None,
        description="Cloud",
        keywords=["cloud"],
        industries=[],
        company_sizes=["1-9"],
        locations=list(profile_b.locations.all()),
    )
    fast = make_inquiry(profile_b.org)
    slow = make_inquiry(profile_a.org)
    Lead.objects.filter(pk=fast.pk).update(received_at=timezone.now() - dt.timedelta(hours=3))
    Lead.objects.filter(pk=slow.pk).update(received_at=timezone.now() - dt.timedelta(days=10))
    services.lead_accept(lead=fast, actor=charlie, **DEAL)
    services.lead_accept(lead=slow, actor=alice, **DEAL)
    response = client.get(reverse("leads:directory") + "?q=cloud")
    names = [p.org.name for p in response.context["results"]]
    assert names == ["Charlie Partners", "Alice Partners"]
    assert "median response 3 hours" in response.content.decode()


def test_inquiry_form_creates_a_customer_inquiry(client, profile_a):
    data = {**CUSTOMER, "country": "PL", "may_contact_directly": "on"}
    response = client.post(reverse("leads:directory_profile", args=[profile_a.pk]), data, HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.type == Lead.Type.CUSTOMER_INQUIRY and lead.org == profile_a.org and lead.sender is None
    assert lead.may_contact_directly and lead.customer_language == "pl"
    assert lead.location.country == "PL"
    assert OutgoingMail.objects.filter(kind="lead_new", to="ewa@a.example").exists()


def test_inquiry_form_shows_errors_next_to_fields(client, profile_a):
    response = client.post(reverse("leads:directory_profile", args=[profile_a.pk]), {**CUSTOMER, "contact_email": "x"})
    assert response.status_code == 200 and "contact_email" in response.context["form"].errors
    assert not Lead.objects.exists()


def test_inquiries_are_rate_limited_per_client(client, profile_a):
    url = reverse("leads:directory_profile", args=[profile_a.pk])
    codes = [client.post(url, CUSTOMER).status_code for _ in range(7)]
    assert codes[:5] == [302] * 5 and codes[5:] == [429, 429]
    assert Lead.objects.count() == 5


# --- Programme staff ------------------------------------------------------------------------


def test_staff_send_a_qualified_lead(profile_a, programme_staff):
    staff_client = client_for(programme_staff)
    data = {**CUSTOMER, "org": profile_a.org.pk, "type": "marketing_qualified", "customer_language": "de"}
    response = staff_client.post(reverse("leads:staff_lead_create"), data)
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.type == Lead.Type.MARKETING_QUALIFIED and lead.sender == programme_staff
    assert lead.customer_language == "de"


def test_staff_cannot_send_to_a_partner_without_published_profile(org_b, programme_staff):
    response = client_for(programme_staff).post(
        reverse("leads:staff_lead_create"), {**CUSTOMER, "org": org_b.pk, "type": "sales_qualified"}
    )
    assert response.status_code == 200 and "org" in response.context["form"].errors
    assert not Lead.objects.exists()


def test_funnel_counts_per_partner_without_customer_details(profile_a, alice, programme_staff):
    leads = [make_inquiry(profile_a.org) for _ in range(4)]
    services.lead_accept(lead=leads[0], actor=alice, **DEAL)
    services.lead_mark_won(lead=leads[0], actor=alice)
    services.lead_decline(lead=leads[1], actor=alice, reason="too_small", notes="Small")
    Lead.objects.filter(pk=leads[2].pk).update(status=Lead.Status.EXPIRED)
    response = client_for(programme_staff).get(reverse("leads:staff_funnel"))
    row = response.context["rows"][0]
    assert (row["received"], row["accepted"], row["won"], row["declined"], row["expired"], row["open"]) == (
        4,
        1,
        1,
        1,
        1,
        1,
    )
    assert row["reasons"] == [("Deal too small", 1)]
    assert row["median_response"] is not None
    body = response.content.decode()
    assert CUSTOMER["contact_email"] not in body and CUSTOMER["contact_name"] not in body


@pytest.mark.parametrize("name", ["leads:staff_funnel", "leads:staff_lead_create"])
def test_staff_pages_are_for_programme_staff_only(alice_client, name):
    assert alice_client.get(reverse(name)).status_code == 403


def test_nav_shows_leads_only_to_referral_roles(org_a, alice_client, bob_client):
    sid = make_member("sid@a.example", org_a, [Role.SALES_AGENT])
    assert reverse("leads:lead_list") in alice_client.get(reverse("dashboard")).content.decode()
    assert reverse("leads:lead_list") not in bob_client.get(reverse("dashboard")).content.decode()
    assert reverse("leads:lead_list") not in client_for(sid).get(reverse("dashboard")).content.decode()


def test_dashboard_counts_each_stage_and_caps_large_ones(profile_a, alice, alice_client, monkeypatch):
    import datetime as dt

    import time_machine

    from leads import selectors

    t0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    leads = [make_inquiry(profile_a.org) for _ in range(5)]
    Lead.objects.filter(pk__in=[lead.pk for lead in leads[:2]]).update(received_at=t0)
    Lead.objects.filter(pk=leads[2].pk).update(received_at=t0 + dt.timedelta(seconds=1))
    Lead.objects.filter(pk__in=[lead.pk for lead in leads[3:]]).update(received_at=t0 + dt.timedelta(days=1))
    services.lead_accept(lead=leads[4], actor=alice, **DEAL)
    # 12 days after t0 the first two leads expire within 2 days; the third a second later.
    with time_machine.travel(t0 + dt.timedelta(days=12), tick=False):
        counts = selectors.lead_dashboard_counts(org=profile_a.org)
        assert (counts["received"], counts["expiring"], counts["accepted"]) == (4, 2, 1)
        assert counts["has_profile"] and not any(counts[f"{n}_more"] for n in ("received", "expiring", "accepted"))

        monkeypatch.setattr(selectors, "DASHBOARD_COUNT_CAP", 3)
        counts = selectors.lead_dashboard_counts(org=profile_a.org)
        assert (counts["received"], counts["received_more"]) == (3, True)
        assert (counts["expiring"], counts["expiring_more"]) == (2, False)
        assert '<div class="stat">3+</div>' in alice_client.get(reverse("dashboard")).content.decode()
