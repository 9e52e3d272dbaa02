"""Contacts, questions, settings and evaluations through the pages; tenancy on every view
that takes an id."""

import pytest

from csat.models import Contact, Invitation, MtmEvaluation, Question
from csat.services import settings_for

from .factories import make_contact, make_response


@pytest.fixture
def contact(org_a):
    return make_contact(org_a)


@pytest.fixture
def question(org_a):
    return Question.objects.create(org=org_a, kind="rating", texts={"en": "Docs?"})


def test_contact_crud(alice_client, org_a):
    r = alice_client.post(
        "/csat/contacts/new/",
        {
            "first_name": "Ana",
            "last_name": "K",
            "email": "Ana@C.example",
            "customer_org": "AW Ltd",
            "language": "hr",
            "consent": "on",
        },
    )
    assert r.status_code == 302
    c = Contact.objects.get(org=org_a)
    assert c.email == "ana@c.example" and c.customer_org_key == "aw"
    alice_client.post(
        f"/csat/contacts/{c.pk}/",
        {"first_name": "Ana", "last_name": "K", "email": "ana@c.example", "customer_org": "AW", "language": "de"},
    )
    c.refresh_from_db()
    assert c.language == "de" and not c.consent
    alice_client.post(f"/csat/contacts/{c.pk}/delete/")
    assert not Contact.objects.exists()


def test_duplicate_contact_is_refused_next_to_the_field(alice_client, contact):
    r = alice_client.post(
        "/csat/contacts/new/",
        {"first_name": "X", "last_name": "Y", "email": contact.email.upper(), "customer_org": "AW", "language": "en"},
    )
    assert r.status_code == 200 and "already exists" in r.content.decode()


def test_contact_edit_checks_ownership(charlie_client, contact):
    assert charlie_client.get(f"/csat/contacts/{contact.pk}/").status_code == 404
    assert charlie_client.post(f"/csat/contacts/{contact.pk}/delete/").status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_contact_edit_requires_role(bob_client, contact):
    assert bob_client.get(f"/csat/contacts/{contact.pk}/").status_code == 403
    assert bob_client.post(f"/csat/contacts/{contact.pk}/delete/").status_code == 403


def test_charlie_cannot_see_alices_contacts(charlie_client, contact):
    assert contact.email not in charlie_client.get("/csat/invite/").content.decode()


def test_send_invitations_view(alice_client, contact):
    page = alice_client.get("/csat/invite/").content.decode()
    assert "Invite 1 contact" in page and "Can be invited" in page and "has been invited" not in page
    alice_client.post("/csat/invite/send/")
    assert Invitation.objects.get().contact == contact
    # Nobody is left to invite: a sentence pointing to the upload, not a disabled "Invite 0" button.
    page = alice_client.get("/csat/invite/").content.decode()
    assert "Invite 0" not in page and "/csat/invite/send/" not in page
    assert "Everyone who agreed to the survey has been invited." in page and 'href="#upload-contacts"' in page
    assert "Invited" in page and "Can be invited" not in page


def test_question_create_with_translations_and_choices(alice_client, org_a):
    alice_client.post(
        "/csat/questions/new/",
        {
            "kind": "single",
            "texts": "Which service?\nde: Welcher Service?",
            "choices": "en: Yes | de: Ja\nNo",
            "order": "5",
        },
    )
    q = Question.objects.get(org=org_a)
    assert q.texts == {"en": "Which service?", "de": "Welcher Service?"}
    assert q.choices == [{"key": "c1", "texts": {"en": "Yes", "de": "Ja"}}, {"key": "c2", "texts": {"en": "No"}}]


def test_answered_question_is_retired_not_deleted(alice_client, org_a, question):
    r = make_response(org_a)
    r.answers.create(org=org_a, question=question, value_int=4)
    alice_client.post(f"/csat/questions/{question.pk}/remove/")
    question.refresh_from_db()
    assert question.is_retired


def test_unanswered_question_is_deleted(alice_client, question):
    alice_client.post(f"/csat/questions/{question.pk}/remove/")
    assert not Question.objects.exists()


def test_question_edit_checks_ownership(charlie_client, question):
    assert charlie_client.get(f"/csat/questions/{question.pk}/").status_code == 404
    assert charlie_client.post(f"/csat/questions/{question.pk}/remove/").status_code == 404


def test_question_edit_requires_role(bob_client, question):
    assert bob_client.get(f"/csat/questions/{question.pk}/").status_code == 403


def test_settings_page_saves_and_rotates(alice_client, org_a):
    alice_client.post("/csat/settings/", {"reminder_delay_days": "10", "monthly_report": "on"})
    s = settings_for(org=org_a)
    assert s.reminder_delay.days == 10 and s.monthly_report
    old = s.open_token_hash
    alice_client.post("/csat/settings/", {"action": "rotate"})
    assert settings_for(org=org_a).open_token_hash != old


def test_settings_require_role(bob_client):
    assert bob_client.get("/csat/settings/").status_code == 403


def test_mtm_evaluations_for_training_partners_only(alice_client, org_a):
    alice_client.post(
        "/csat/evaluations/",
        {"action": "record", "reference": "E1", "course": "Azure", "completed_at": "2026-01-05T10:00"},
    )
    assert not MtmEvaluation.objects.exists()
    org_a.competencies = ["learning"]
    org_a.save()
    alice_client.post(
        "/csat/evaluations/",
        {"action": "record", "reference": "E1", "course": "Azure", "completed_at": "2026-01-05T10:00"},
    )
    assert MtmEvaluation.objects.filter(org=org_a).count() == 1


def test_demo_seed_is_idempotent(db):
    from csat import demo
    from csat.models import Response
    from partnerportal.demo import DemoContext, seed_core

    ctx = DemoContext()
    seed_core(ctx)
    demo.seed(ctx)
    first = Response.objects.count()
    demo.seed(ctx)
    assert Response.objects.count() == first > 0
    from csat.selectors import compliance_for_org

    assert compliance_for_org(org=ctx.orgs["contoso"]).met
    assert not compliance_for_org(org=ctx.orgs["tailspin-services"]).met
    assert compliance_for_org(org=ctx.orgs["northwind"]).path == "mtm"
