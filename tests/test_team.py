from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.urls import reverse

from conftest import PASSWORD, make_member
from partnerportal.models import AuditEntry, Invitation, Membership, OutgoingMail, Role, User, hash_token
from partnerportal.services import invitation_create


def _invite(client, email="new@a.example", roles=("survey_admin",), language="ja"):
    return client.post(reverse("team_invite"), {"email": email, "roles": list(roles), "language": language})


def test_invitation_is_mailed_in_the_chosen_language_with_a_hashed_token(
    alice_client, org_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(alice_client)
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="new@a.example")
    assert invitation.roles == ["survey_admin"]
    mail = OutgoingMail.objects.get(kind="team_invitation")
    assert mail.language == "ja" and mail.to == "new@a.example"
    assert mail.status == OutgoingMail.Status.SENT  # sent by the (in-process) task after commit
    assert len(django_mail.outbox) == 1
    # The link carries the token; the database holds only its hash.
    link = next(w for w in mail.body_text.split() if "/join/" in w)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert len(token) >= 22 and invitation.token_hash == hash_token(token) and token not in invitation.token_hash
    assert AuditEntry.objects.filter(action="invitation.created", org=org_a).exists()


def test_accepting_creates_the_account_and_membership_once(alice, org_a, client):
    invitation, token = invitation_create(
        org=org_a,
        actor=alice,
        actor_membership=alice.memberships.get(),
        email="new@a.example",
        roles=["referral_admin"],
        language="en",
    )
    url = reverse("invitation_accept", args=[token])
    response = client.post(
        url, {"full_name": "New Person", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"}
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@a.example")
    assert Membership.objects.get(user=user, org=org_a).roles == ["referral_admin"]
    # Single use: the same link is now refused.
    client.logout()
    assert client.get(url).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED


def test_an_unknown_token_is_refused(client, db):
    assert client.get(reverse("invitation_accept", args=["not-a-token"])).status_code == 404


def test_accepting_as_another_signed_in_user_is_refused(alice, org_a, charlie_client, charlie):
    _, token = invitation_create(
        org=org_a,
        actor=alice,
        actor_membership=alice.memberships.get(),
        email="someone@a.example",
        roles=[],
        language="en",
    )
    charlie_client.post(reverse("invitation_accept", args=[token]))
    assert not Membership.objects.filter(user=charlie, org=org_a).exists()


def test_role_change_is_audited_with_before_and_after(alice_client, bob, org_a):
    membership = bob.memberships.get()
    response = alice_client.post(
        reverse("team_member", args=[membership.pk]), {"action": "roles", "roles": ["support_agent"]}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.roles == ["support_agent"]
    entry = AuditEntry.objects.get(action="membership.roles_changed")
    assert entry.details["before"] == [] and entry.details["after"] == ["support_agent"]
    assert entry.actor.email == "alice@a.example"


def test_user_admin_cannot_grant_partner_admin(org_a, bob):
    uma = make_member("uma@a.example", org_a, [Role.USER_ADMIN])
    from conftest import client_for

    client = client_for(uma)
    response = client.post(
        reverse("team_member", args=[bob.memberships.get().pk]), {"action": "roles", "roles": ["partner_admin"]}
    )
    assert response.status_code == 200
    assert "Only a partner admin" in response.content.decode()
    assert bob.memberships.get().roles == []


def test_the_last_partner_admin_cannot_be_removed(alice_client, alice):
    membership = alice.memberships.get()
    response = alice_client.post(
        reverse("team_member", args=[membership.pk]), {"action": "roles", "roles": ["survey_admin"]}
    )
    assert "at least one active partner admin" in response.content.decode()
    membership.refresh_from_db()
    assert membership.roles == ["partner_admin"]


def test_deactivated_member_loses_access(alice_client, bob, org_a):
    membership = bob.memberships.get()
    alice_client.post(reverse("team_member", args=[membership.pk]), {"action": "deactivate"})
    membership.refresh_from_db()
    assert not membership.is_active
    from conftest import client_for

    assert client_for(bob).get(reverse("org_detail")).status_code == 403
    assert AuditEntry.objects.filter(action="membership.deactivated").exists()


def test_login_with_email_and_password_sets_the_language_cookie(alice, client):
    alice.language = "pl"
    alice.save()
    response = client.post(reverse("login"), {"username": "alice@a.example", "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "pl"


@pytest.mark.django_db
def test_password_reset_mail_goes_through_the_outbox(alice, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "alice@a.example"})
    mail = OutgoingMail.objects.get(kind="password_reset")
    assert "/accounts/reset/" in mail.body_text and mail.status == OutgoingMail.Status.SENT


def test_user_admin_cannot_reactivate_a_partner_admin(org_a, alice):
    from conftest import client_for

    other = make_member("other@a.example", org_a, [Role.PARTNER_ADMIN])
    membership = other.memberships.get()
    membership.is_active = False
    membership.save()
    uma = make_member("uma@a.example", org_a, [Role.USER_ADMIN])
    response = client_for(uma).post(reverse("team_member", args=[membership.pk]), {"action": "activate"})
    assert response.status_code == 200
    membership.refresh_from_db()
    assert not membership.is_active


def test_a_reinvited_former_partner_admin_gets_only_the_invited_roles(org_a, alice, client):
    from partnerportal.services import invitation_accept

    other = make_member("other@a.example", org_a, [Role.PARTNER_ADMIN])
    Membership.objects.filter(user=other).update(is_active=False)
    uma = make_member("uma@a.example", org_a, [Role.USER_ADMIN])
    _, token = invitation_create(
        org=org_a,
        actor=uma,
        actor_membership=uma.memberships.get(),
        email="other@a.example",
        roles=[Role.SURVEY_ADMIN],
        language="en",
    )
    membership = invitation_accept(token=token, user=other)
    assert membership.is_active and membership.roles == [Role.SURVEY_ADMIN]


def test_invitations_expire_at_their_exact_end(alice, org_a, client):
    import time_machine

    from partnerportal.services import invitations_expire

    invitation, token = invitation_create(
        org=org_a, actor=alice, actor_membership=alice.memberships.get(), email="n@a.example", roles=[], language="en"
    )
    url = reverse("invitation_accept", args=[token])
    with time_machine.travel(invitation.expires_at - timedelta(microseconds=1), tick=False):
        assert invitations_expire() == 0
        assert client.get(url).status_code == 200
    with time_machine.travel(invitation.expires_at, tick=False):
        assert client.get(url).status_code == 404
        assert invitations_expire() == 1
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.EXPIRED


def test_sign_in_ignores_the_case_of_the_address(alice, client):
    response = client.post(reverse("login"), {"username": "Alice@A.example", "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_a_member_without_the_role_cannot_change_the_organisation_settings(bob_client, org_a):
    response = bob_client.post(reverse("org_detail"), {"default_language": "fr", "account_email": "x@a.example"})
    assert response.status_code == 403
    org_a.refresh_from_db()
    assert org_a.default_language == "en" and org_a.account_email == ""
