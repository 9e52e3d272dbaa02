"""Charlie (organisation B) gets 404 on every organisation-A object URL; Bob (A, no role) 403."""

import pytest
from django.urls import reverse

from partnerportal.models import Invitation, Location
from partnerportal.services import invitation_create


@pytest.fixture
def a_location(org_a):
    return Location.objects.create(
        org=org_a, name="HQ", country="US", contact_name="Ann", contact_email="ann@a.example"
    )


@pytest.fixture
def a_invitation(alice, org_a):
    invitation, _ = invitation_create(
        org=org_a, actor=alice, actor_membership=alice.memberships.get(), email="x@a.example", roles=[], language="en"
    )
    return invitation


class TestTeamMember:
    def test_it_checks_ownership(self, charlie_client, bob):
        assert charlie_client.get(reverse("team_member", args=[bob.memberships.get().pk])).status_code == 404

    def test_it_requires_role(self, bob_client, alice):
        assert bob_client.get(reverse("team_member", args=[alice.memberships.get().pk])).status_code == 403


class TestInvitationRevoke:
    def test_it_checks_ownership(self, charlie_client, a_invitation):
        assert charlie_client.post(reverse("team_invitation_revoke", args=[a_invitation.pk])).status_code == 404
        a_invitation.refresh_from_db()
        assert a_invitation.status == Invitation.Status.PENDING

    def test_it_requires_role(self, bob_client, a_invitation):
        assert bob_client.post(reverse("team_invitation_revoke", args=[a_invitation.pk])).status_code == 403


class TestLocationEdit:
    def test_it_checks_ownership(self, charlie_client, a_location):
        assert charlie_client.get(reverse("location_edit", args=[a_location.pk])).status_code == 404

    def test_it_requires_role(self, bob_client, a_location):
        assert bob_client.get(reverse("location_edit", args=[a_location.pk])).status_code == 403

    def test_owner_edits(self, alice_client, a_location):
        data = {"name": "Head office", "country": "us", "contact_name": "Ann", "contact_email": "ann@a.example"}
        assert alice_client.post(reverse("location_edit", args=[a_location.pk]), data).status_code == 302
        a_location.refresh_from_db()
        assert a_location.name == "Head office" and a_location.country == "US"


@pytest.mark.parametrize("name", ["team", "team_invite", "org_activity", "location_create"])
def test_org_pages_require_role(bob_client, name):
    assert bob_client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", ["team", "team_invite", "org_activity", "org_detail", "dashboard"])
def test_anonymous_is_sent_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_charlie_sees_only_his_team(charlie_client, alice):
    body = charlie_client.get(reverse("team")).content.decode()
    assert "alice@a.example" not in body


def test_outbox_is_for_superusers_only(alice_client, programme_staff):
    from conftest import client_for

    assert alice_client.get(reverse("outbox")).status_code == 403
    # Programme staff never see partners' customer e-mails.
    assert client_for(programme_staff).get(reverse("outbox")).status_code == 403


def test_switching_to_a_foreign_organisation_is_refused(alice_client, org_b):
    alice_client.post(reverse("org_switch"), {"org": org_b.pk})
    assert "Charlie Partners" not in alice_client.get(reverse("dashboard")).content.decode()


def test_a_member_of_two_organisations_switches(alice, org_b, alice_client):
    from partnerportal.models import Membership

    Membership.objects.create(user=alice, org=org_b, roles=["partner_admin"])
    alice_client.post(reverse("org_switch"), {"org": org_b.pk})
    assert "Charlie Partners" in alice_client.get(reverse("dashboard")).content.decode()
