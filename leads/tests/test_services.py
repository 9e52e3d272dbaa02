"""Lead lifecycle: every allowed transition, every forbidden one, refused by the server."""

import pytest
from django.core import mail as django_mail

from leads import services
from leads.models import BusinessProfile, Favourite, Lead, LeadContact
from partnerportal.errors import DomainError
from partnerportal.models import AuditEntry, OutgoingMail

from .conftest import CUSTOMER, DEAL, make_inquiry, make_qualified, publish_profile

# --- Profile prerequisite -------------------------------------------------------------------


def test_no_lead_without_a_published_profile(org_a, location_a):
    with pytest.raises(DomainError, match="no published business profile"):
        make_inquiry(org_a)
    profile = services.profile_save(
        org=org_a,
        actor=None,
        description="x",
        keywords=["k"],
        industries=[],
        company_sizes=["1-9"],
        locations=[location_a],
    )
    with pytest.raises(DomainError):
        make_inquiry(org_a)  # saved but not published
    services.profile_set_published(profile=profile, published=True, actor=None)
    assert make_inquiry(org_a).status == Lead.Status.RECEIVED
    services.profile_set_published(profile=profile, published=False, actor=None)
    with pytest.raises(DomainError):
        make_inquiry(org_a)
    assert Lead.objects.count() == 1


def test_publishing_needs_keywords_sizes_and_a_location(org_a, location_a):
    profile = services.profile_save(
        org=org_a, actor=None, description="We build apps.", keywords=[], industries=[], company_sizes=[], locations=[]
    )
    with pytest.raises(DomainError) as exc:
        services.profile_set_published(profile=profile, published=True, actor=None)
    assert exc.value.field == "keywords"
    profile.refresh_from_db()
    assert not profile.is_published


def test_profile_may_list_only_own_locations(org_a, profile_b):
    foreign = profile_b.locations.get()
    with pytest.raises(DomainError):
        services.profile_save(
            org=org_a,
            actor=None,
            description="x",
            keywords=["k"],
            industries=[],
            company_sizes=["1-9"],
            locations=[foreign],
        )


def _found(word):
    from django.contrib.postgres.search import SearchQuery

    return BusinessProfile.objects.filter(search_vector=SearchQuery(word, config="simple")).exists()


def test_profile_search_vector_is_kept_up_to_date(profile_a):
    assert _found("migration")
    services.profile_save(
        org=profile_a.org,
        actor=None,
        description="Data platforms",
        keywords=["analytics"],
        industries=[],
        company_sizes=["1-9"],
        locations=list(profile_a.locations.all()),
    )
    assert _found("analytics")
    assert not _found("migration")


def test_qualified_leads_come_only_from_programme_staff(profile_a, alice, programme_staff):
    with pytest.raises(DomainError):
        make_qualified(profile_a.org, alice)
    with pytest.raises(DomainError):
        services.lead_create(org=profile_a.org, type=Lead.Type.MARKETING_QUALIFIED, **CUSTOMER)
    lead = make_qualified(profile_a.org, programme_staff, type=Lead.Type.MARKETING_QUALIFIED)
    assert lead.sender == programme_staff


def test_new_lead_alerts_the_contact_of_the_matching_location(
    profile_a, location_a_pl, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lead = make_inquiry(profile_a.org, country="pl")
    assert lead.location == location_a_pl and lead.country == "PL"
    alert = OutgoingMail.objects.get(kind="lead_new")
    assert alert.to == "ewa@a.example"
    assert [m.to for m in django_mail.outbox] == [["ewa@a.example"]]


def test_new_lead_alert_is_in_the_contacts_language(profile_a, rita):
    # The location contact is a portal user: the alert is in their language.
    location = profile_a.locations.get(country="US")
    location.contact_email = rita.email
    location.save()
    make_inquiry(profile_a.org)
    assert OutgoingMail.objects.get(kind="lead_new").language == "pl"


# --- Received -------------------------------------------------------------------------------


def test_accept_moves_to_accepted_with_the_deal(lead_a, alice):
    lead = services.lead_accept(
        lead=lead_a, actor=alice, contacts=[{"name": "Sid", "email": "sid@a.example", "phone": ""}], **DEAL
    )
    lead.refresh_from_db()
    assert lead.status == Lead.Status.ACCEPTED
    assert lead.deal_value == 25000 and lead.deal_currency == "EUR" and lead.responded_at
    assert LeadContact.objects.get(lead=lead).email == "sid@a.example"
    assert AuditEntry.objects.filter(action="lead.accepted", object_id=str(lead.pk)).exists()


@pytest.mark.parametrize("missing", ["deal_name", "deal_value", "deal_currency", "purchase_timeframe", "deal_notes"])
def test_accept_requires_the_deal_fields(lead_a, alice, missing):
    with pytest.raises(DomainError) as exc:
        services.lead_accept(lead=lead_a, actor=alice, **{**DEAL, missing: ""})
    assert exc.value.field == missing
    lead_a.refresh_from_db()
    assert lead_a.status == Lead.Status.RECEIVED


def test_accept_refuses_an_unknown_currency(lead_a, alice):
    with pytest.raises(DomainError):
        services.lead_accept(lead=lead_a, actor=alice, **{**DEAL, "deal_currency": "XYZ1"})


def test_decline_requires_notes_and_reason(lead_a, alice):
    with pytest.raises(DomainError) as exc:
        services.lead_decline(lead=lead_a, actor=alice, reason="not_a_fit", notes=" ")
    assert exc.value.field == "notes"
    with pytest.raises(DomainError) as exc:
        services.lead_decline(lead=lead_a, actor=alice, reason="", notes="Too far away")
    assert exc.value.field == "reason"
    lead_a.refresh_from_db()
    assert lead_a.status == Lead.Status.RECEIVED


def test_decline_archives_and_tells_the_customer_in_their_language(profile_a, alice):
    lead = make_inquiry(profile_a.org, customer_language="tr")
    services.lead_decline(lead=lead, actor=alice, reason="location", notes="Outside our area")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.DECLINED and lead.is_archived and lead.closed_at
    assert not lead.contact_visible
    mail = OutgoingMail.objects.get(kind="lead_declined")
    assert mail.to == CUSTOMER["contact_email"] and mail.language == "tr"


def test_decline_of_a_qualified_lead_also_tells_the_sender(profile_a, alice, programme_staff):
    programme_staff.language = "de"
    programme_staff.save()
    lead = make_qualified(profile_a.org, programme_staff)
    services.lead_decline(lead=lead, actor=alice, reason="no_capacity", notes="Fully booked")
    sender_mail = OutgoingMail.objects.get(kind="lead_declined_sender")
    assert sender_mail.to == programme_staff.email and sender_mail.language == "de"


def test_received_lead_cannot_be_edited_won_or_lost(lead_a, alice):
    for call in (
        lambda: services.lead_edit(lead=lead_a, actor=alice, **DEAL),
        lambda: services.lead_mark_won(lead=lead_a, actor=alice),
        lambda: services.lead_mark_lost(lead=lead_a, actor=alice),
        lambda: services.lead_add_contact(lead=lead_a, actor=alice, name="Sid", email="sid@a.example"),
    ):
        with pytest.raises(DomainError):
            call()
    lead_a.refresh_from_db()
    assert lead_a.status == Lead.Status.RECEIVED


# --- Accepted -------------------------------------------------------------------------------


def test_edit_changes_the_deal_and_records_what_changed(accepted_lead, alice):
    services.lead_edit(lead=accepted_lead, actor=alice, **{**DEAL, "deal_value": "30000", "crm_id": "CRM-7"})
    accepted_lead.refresh_from_db()
    assert accepted_lead.deal_value == 30000 and accepted_lead.crm_id == "CRM-7"
    entry = AuditEntry.objects.get(action="lead.edited")
    assert set(entry.details["changed"]) == {"deal_value", "crm_id"}


def test_add_contact_on_accepted_lead(accepted_lead, alice):
    services.lead_add_contact(lead=accepted_lead, actor=alice, name="Sid Sales", email="SID@a.example", phone="1")
    with pytest.raises(DomainError, match="already on this deal"):
        services.lead_add_contact(lead=accepted_lead, actor=alice, name="Sid", email="sid@a.example")
    assert accepted_lead.contacts.count() == 1


def test_accepted_lead_cannot_be_accepted_or_declined_again(accepted_lead, alice):
    with pytest.raises(DomainError, match="Only a received lead"):
        services.lead_accept(lead=accepted_lead, actor=alice, **DEAL)
    with pytest.raises(DomainError):
        services.lead_decline(lead=accepted_lead, actor=alice, reason="other", notes="x")


@pytest.mark.parametrize("service,status", [("lead_mark_won", "won"), ("lead_mark_lost", "lost")])
def test_won_and_lost_archive_the_lead(accepted_lead, alice, service, status):
    lead = getattr(services, service)(lead=accepted_lead, actor=alice, notes="Signed on Friday")
    lead.refresh_from_db()
    assert lead.status == status and lead.is_archived and lead.stage == "archived"
    assert lead.outcome_notes == "Signed on Friday"
    assert lead.contact_visible  # the partner keeps its own customer's details


# --- Archived -------------------------------------------------------------------------------


@pytest.fixture(params=["won", "lost", "declined", "expired"])
def archived_lead(request, lead_a, alice):
    if request.param == "declined":
        return services.lead_decline(lead=lead_a, actor=alice, reason="other", notes="No")
    if request.param == "expired":
        Lead.objects.filter(pk=lead_a.pk).update(status=Lead.Status.EXPIRED)
        return Lead.objects.get(pk=lead_a.pk)
    services.lead_accept(lead=lead_a, actor=alice, **DEAL)
    return getattr(services, f"lead_mark_{request.param}")(lead=lead_a, actor=alice)


def test_nothing_is_possible_on_an_archived_lead(archived_lead, alice):
    before = archived_lead.status
    calls = [
        lambda: services.lead_accept(lead=archived_lead, actor=alice, **DEAL),
        lambda: services.lead_decline(lead=archived_lead, actor=alice, reason="other", notes="x"),
        lambda: services.lead_edit(lead=archived_lead, actor=alice, **DEAL),
        lambda: services.lead_add_contact(lead=archived_lead, actor=alice, name="S", email="s@a.example"),
        lambda: services.lead_mark_won(lead=archived_lead, actor=alice),
        lambda: services.lead_mark_lost(lead=archived_lead, actor=alice),
    ]
    for call in calls:
        with pytest.raises(DomainError, match="archived"):
            call()
    archived_lead.refresh_from_db()
    assert archived_lead.status == before


# --- Favourites -----------------------------------------------------------------------------


def test_favourites_are_per_person(lead_a, alice, rita):
    assert services.lead_favourite_toggle(lead=lead_a, user=alice) is True
    assert Favourite.objects.filter(lead=lead_a, user=alice).exists()
    assert not Favourite.objects.filter(lead=lead_a, user=rita).exists()
    assert services.lead_favourite_toggle(lead=lead_a, user=alice) is False
    assert not Favourite.objects.exists()


# --- Responsiveness -------------------------------------------------------------------------


def test_responsiveness_is_the_median_response_time(profile_a, alice):
    import datetime as dt

    from django.utils import timezone

    leads = [make_inquiry(profile_a.org) for _ in range(3)]
    for lead, hours in zip(leads, (2, 10, 100), strict=True):
        Lead.objects.filter(pk=lead.pk).update(received_at=timezone.now() - dt.timedelta(hours=hours))
        services.lead_accept(lead=lead, actor=alice, **DEAL)
    profile_a.refresh_from_db()
    assert abs(profile_a.median_response_seconds - 10 * 3600) < 60
    assert profile_a.response_tier == 1


def test_other_org_profile_is_not_affected(profile_a, profile_b, alice):
    lead = make_inquiry(profile_a.org)
    services.lead_accept(lead=lead, actor=alice, **DEAL)
    profile_b.refresh_from_db()
    assert profile_b.median_response_seconds is None and profile_b.response_tier == 9


def test_publish_profile_helper(org_b):
    # A second profile for another organisation is independent.
    from partnerportal.models import Location

    loc = Location.objects.create(org=org_b, name="HQ", country="DE", contact_name="C", contact_email="c@b.example")
    assert publish_profile(org_b, [loc]).is_published
