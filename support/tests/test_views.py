import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from conftest import client_for
from partnerportal.models import hash_token
from support import services
from support.models import CustomerContact, Escalation, Invoice, ServiceHealthIncident, SupportRequest

from .conftest import make_invoice, make_subscription


@pytest.fixture
def invoice(customer):
    return make_invoice(customer, due=dt.date(2030, 1, 10))


@pytest.fixture
def escalation(support_request, alice):
    services.request_check_health(request=support_request, actor=alice)
    return services.escalation_create(
        request=support_request, actor=alice, category="defect", vehicle="partner_cloud", explanation="x"
    )


OBJECT_VIEWS = [
    ("support:request_detail", "support_request"),
    ("support:request_escalate", "support_request"),
    ("support:escalation_update", "escalation"),
    ("support:customer_detail", "customer"),
    ("support:customer_edit", "customer"),
    ("support:subscription_create", "customer"),
    ("support:invoice_detail", "invoice"),
]


@pytest.mark.parametrize("name,fixture", OBJECT_VIEWS)
def test_it_checks_ownership(request, charlie_client, name, fixture):
    obj = request.getfixturevalue(fixture)
    assert charlie_client.get(reverse(name, args=[obj.pk])).status_code == 404


@pytest.mark.parametrize("name,fixture", OBJECT_VIEWS)
def test_it_requires_role(request, bob_client, name, fixture):
    obj = request.getfixturevalue(fixture)
    assert bob_client.get(reverse(name, args=[obj.pk])).status_code == 403


class TestContactLink:
    def test_it_checks_ownership(self, charlie_client, contact):
        assert (
            charlie_client.post(reverse("support:contact_link", args=[contact.pk]), {"action": "revoke"}).status_code
            == 404
        )
        contact.refresh_from_db()
        assert contact.is_active

    def test_it_requires_role(self, bob_client, contact):
        assert (
            bob_client.post(reverse("support:contact_link", args=[contact.pk]), {"action": "revoke"}).status_code == 403
        )

    def test_revoked_link_stops_working(self, alice_client, contact, customer):
        token = "x" * 43
        CustomerContact.objects.filter(pk=contact.pk).update(token_hash=hash_token(token))
        assert alice_client.get(reverse("support:customer_home", args=[token])).status_code == 200
        alice_client.post(reverse("support:contact_link", args=[contact.pk]), {"action": "revoke"})
        assert alice_client.get(reverse("support:customer_home", args=[token])).status_code == 404


class TestSubscriptionEdit:
    def test_it_checks_ownership(self, charlie_client, customer):
        sub = make_subscription(customer)
        assert charlie_client.get(reverse("support:subscription_edit", args=[sub.pk])).status_code == 404

    def test_it_requires_role(self, bob_client, customer):
        sub = make_subscription(customer)
        assert bob_client.get(reverse("support:subscription_edit", args=[sub.pk])).status_code == 403


class TestContactCreate:
    def test_it_checks_ownership(self, charlie_client, customer):
        url = reverse("support:contact_create", args=[customer.pk])
        assert charlie_client.post(url, {"name": "X", "email": "x@x.example", "language": "en"}).status_code == 404

    def test_it_requires_role(self, bob_client, customer):
        url = reverse("support:contact_create", args=[customer.pk])
        assert bob_client.post(url, {"name": "X", "email": "x@x.example", "language": "en"}).status_code == 403


class TestProviderEscalation:
    def test_provider_agents_see_and_work_resellers_escalations(self, reseller_pair):
        from conftest import make_member

        provider, reseller = reseller_pair
        leyla = make_member("leyla@r.example", reseller, ["partner_admin"])
        piotr = make_member("piotr@p.example", provider, ["support_agent"])
        customer = services.customer_create(
            org=reseller,
            actor=leyla,
            company="Kafe",
            tenant_domain="kafe.example",
            language="tr",
            billing_contact_name="B",
            billing_contact_email="b@kafe.example",
            technical_contact_name="T",
            technical_contact_email="t@kafe.example",
        )
        req = services.request_create(
            org=reseller,
            customer=customer,
            requester=customer.contacts.first(),
            category="technical",
            service="azure",
            severity="A",
            subject="VMs down",
            description="d",
        )
        services.request_check_health(request=req, actor=leyla)
        esc = services.escalation_create(
            request=req, actor=leyla, category="service_unavailable", vehicle="indirect_provider", explanation="x"
        )
        client = client_for(piotr)
        assert "VMs down" in client.get(reverse("support:provider_escalation_list")).content.decode()
        url = reverse("support:provider_escalation_detail", args=[esc.pk])
        r = client.post(url, {"status": "in_progress", "vendor_ticket_number": "SR-1", "note": "On it"})
        assert r.status_code == 302
        esc.refresh_from_db()
        assert esc.status == "in_progress" and esc.vendor_ticket_number == "SR-1"
        assert req.messages.get().kind == "provider"
        # The reseller's own agents use their own page; the provider cannot open the reseller's request.
        assert client.get(reverse("support:request_detail", args=[req.pk])).status_code == 404

    def test_it_checks_ownership(self, charlie_client, escalation):
        assert (
            charlie_client.get(reverse("support:provider_escalation_detail", args=[escalation.pk])).status_code == 404
        )

    def test_it_requires_role(self, reseller_pair, escalation):
        from conftest import make_member

        provider, _ = reseller_pair
        Escalation.objects.filter(pk=escalation.pk).update(provider_org=provider)
        nobody = make_member("nobody@p.example", provider, [])
        assert (
            client_for(nobody).get(reverse("support:provider_escalation_detail", args=[escalation.pk])).status_code
            == 403
        )


def test_queue_has_constant_queries_and_highlights_breaches(
    csp_a, customer, contact, sven, django_assert_max_num_queries
):
    for n in range(60):
        services.request_create(
            org=csp_a,
            customer=customer,
            requester=contact,
            category="technical",
            service="teams",
            severity="A",
            subject=f"Issue {n}",
            description="d",
        )
    SupportRequest.objects.filter(subject="Issue 59").update(
        first_response_due_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    client = client_for(sven)
    with django_assert_max_num_queries(10):
        r = client.get(reverse("support:request_list"))
    assert r.status_code == 200 and "Breached" in r.content.decode()
    r = client.get(reverse("support:request_list"), {"breached": "1", "status": "open"})
    assert list(r.context["page"].object_list) == [SupportRequest.objects.get(subject="Issue 59")]
    r2 = (
        client.get(reverse("support:request_list") + r.context["page"].next_query)
        if r.context["page"].has_next
        else None
    )
    assert r2 is None


def test_invoice_list_constant_queries(customer, bella, django_assert_max_num_queries):
    for n in range(60):
        make_invoice(customer, number=f"I-{n}", due=dt.date(2030, 1, 1) + dt.timedelta(days=n))
    client = client_for(bella)
    with django_assert_max_num_queries(10):
        r = client.get(reverse("support:invoice_list"))
    assert r.status_code == 200 and len(r.context["page"].object_list) == 50


def test_support_agent_cannot_see_invoices(sven, invoice):
    assert client_for(sven).get(reverse("support:invoice_list")).status_code == 403
    assert client_for(sven).get(reverse("support:invoice_detail", args=[invoice.pk])).status_code == 403


def test_agent_replies_through_the_page(sven, support_request):
    url = reverse("support:request_detail", args=[support_request.pk])
    r = client_for(sven).post(url, {"action": "reply", "body": "Please restart Outlook", "status": ""})
    assert r.status_code == 302
    support_request.refresh_from_db()
    assert support_request.first_response_at is not None and support_request.status == "diagnosing"


def test_escalation_form_shows_refusal(sven, support_request):
    client = client_for(sven)
    url = reverse("support:request_detail", args=[support_request.pk])
    client.post(url, {"action": "health"})
    r = client.post(
        reverse("support:request_escalate", args=[support_request.pk]),
        {"category": "how_to", "vehicle": "partner_cloud", "explanation": "How to add a mailbox"},
    )
    assert r.status_code == 200 and "cannot be escalated" in r.content.decode()
    assert not Escalation.objects.exists()
    r = client.post(
        reverse("support:request_escalate", args=[support_request.pk]),
        {"category": "service_unavailable", "vehicle": "partner_cloud", "explanation": "Down for all"},
    )
    assert r.status_code == 302 and Escalation.objects.get().escalated_by == sven


def test_agent_links_an_incident_and_removes_the_link_through_the_page(sven, support_request):
    incident = ServiceHealthIncident.objects.create(
        service="exchange_online", title="Mail delays", public_description="Delays", regions=["europe"]
    )
    client = client_for(sven)
    url = reverse("support:request_detail", args=[support_request.pk])
    client.post(url, {"action": "health", "incident": incident.pk})
    support_request.refresh_from_db()
    assert support_request.incident == incident
    assert "remove the link" in client.get(url).content.decode()
    client.post(url, {"action": "health"})  # checked again: still linked
    support_request.refresh_from_db()
    assert support_request.incident == incident
    client.post(url, {"action": "health", "unlink": "1"})
    support_request.refresh_from_db()
    assert support_request.incident is None


def test_record_payment_and_dispute_through_the_page(bella, invoice):
    client = client_for(bella)
    url = reverse("support:invoice_detail", args=[invoice.pk])
    r = client.post(url, {"action": "dispute", "reason": "Wrong seats"})
    assert r.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DISPUTED
    r = client.post(url, {"action": "payment", "amount": "100.00", "paid_on": "2030-01-05"})
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_policy_editor_rejects_bad_days(bella, csp_a):
    client = client_for(bella)
    r = client.post(
        reverse("support:policy_edit"),
        {"reminder_days_before": "7, soon", "reminder_days_after": "1", "suspend_after_days": "10"},
    )
    assert r.status_code == 200 and "whole numbers" in r.content.decode()
    r = client.post(
        reverse("support:policy_edit"),
        {"reminder_days_before": "1, 7", "reminder_days_after": "3", "suspend_after_days": "20"},
    )
    assert r.status_code == 302
    assert csp_a.collections_policy.reminder_days_before == [7, 1]


def test_support_profile_requires_provider_company_and_pricing(alice_client, csp_a):
    data = {
        "delivery": "outsourced",
        "provider_company": "",
        "outsourced_scope": "part",
        "hours": "Mon-Fri 8-18",
        "time_zone": "Europe/Warsaw",
        "contact_email": "help@a.example",
        "charging": "part",
        "pricing": "",
    }
    r = alice_client.post(reverse("support:support_profile"), data)
    assert "Name the company" in r.content.decode()
    data.update(provider_company="Helpdesk Sp. z o.o.", pricing="€50/hour outside business hours")
    assert alice_client.post(reverse("support:support_profile"), data).status_code == 302
    assert csp_a.support_profile.provider_company == "Helpdesk Sp. z o.o."


class TestCustomerPages:
    @pytest.fixture
    def client(self, client):
        # The person picked English with the language switcher (the contact's own is Polish).
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    def token_for(self, contact):
        token = "t" * 43
        CustomerContact.objects.filter(pk=contact.pk).update(token_hash=hash_token(token))
        return token

    def test_pages_speak_the_contact_language_unless_the_person_picked_another(self, db, contact):
        from django.test import Client

        token = self.token_for(contact)
        assert contact.language == "pl"
        body = Client().get(reverse("support:customer_home", args=[token])).content.decode()
        assert '<html lang="pl"' in body
        picked = Client()
        picked.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
        body = picked.get(reverse("support:customer_home", args=[token])).content.decode()
        assert '<html lang="de"' in body

    def test_customer_sees_terms_policy_and_only_own_requests(self, client, customer, contact, support_request, csp_a):
        other = customer.contacts.get(email="anna@hotelnord.example")
        theirs = services.request_create(
            org=csp_a,
            customer=customer,
            requester=other,
            category="billing",
            service="teams",
            severity="C",
            subject="Anna's question",
            description="d",
        )
        token = self.token_for(contact)
        body = client.get(reverse("support:customer_home", args=[token])).content.decode()
        assert "Mail not arriving" in body and "Anna&#x27;s question" not in body
        assert "cancel one" in body  # purchases and cancellations go through the partner
        assert "suspended" in body  # the collections policy
        assert client.get(reverse("support:customer_request", args=[token, theirs.pk])).status_code == 404
        r = client.get(reverse("support:customer_request", args=[token, support_request.pk]))
        assert r.status_code == 200 and r["Referrer-Policy"] == "no-referrer"

    def test_unknown_token_is_404(self, client, contact):
        assert client.get(reverse("support:customer_home", args=["nope"])).status_code == 404

    def test_internal_notes_never_reach_the_customer(self, client, contact, support_request, alice):
        services.request_note(request=support_request, actor=alice, body="SECRET NOTE")
        services.request_reply(request=support_request, actor=alice, body="Public answer")
        token = self.token_for(contact)
        body = client.get(reverse("support:customer_request", args=[token, support_request.pk])).content.decode()
        assert "Public answer" in body and "SECRET NOTE" not in body

    def test_customer_submits_a_request(self, client, contact):
        token = self.token_for(contact)
        r = client.post(
            reverse("support:customer_request_create", args=[token]),
            {
                "category": "technical",
                "service": "sharepoint_online",
                "severity": "B",
                "subject": "Site gone",
                "description": "Our intranet site is gone",
            },
        )
        assert r.status_code == 302
        req = SupportRequest.objects.get(subject="Site gone")
        assert req.requester == contact and req.requester_email == contact.email


def test_customer_link_is_256_bits_and_stored_hashed(customer, contact):
    from partnerportal.models import OutgoingMail

    link = OutgoingMail.objects.filter(kind="support.customer_link", to=contact.email).get()
    token = link.body_text.split("/support/c/")[1].split("/")[0]
    assert len(token) >= 43 and contact.token_hash == hash_token(token) and token not in contact.token_hash


class TestProgrammeStaff:
    def test_incident_crud_and_stats_without_contact_details(self, programme_staff, escalation, customer):
        client = client_for(programme_staff)
        r = client.post(
            reverse("support:incident_create"),
            {
                "service": "teams",
                "title": "Teams calls drop",
                "regions": ["europe"],
                "status": "degraded",
                "started_at": "2026-05-04T08:00",
                "public_description": "Some users cannot join calls.",
            },
        )
        assert r.status_code == 302
        incident = ServiceHealthIncident.objects.get()
        assert incident.created_by == programme_staff
        body = client.get(reverse("support:escalation_stats")).content.decode()
        assert "Defect affecting" in body and customer.billing_contact_email not in body
        assert customer.technical_contact_email not in body and customer.company not in body

    def test_partners_cannot_reach_programme_pages(self, alice_client):
        assert alice_client.get(reverse("support:incident_list")).status_code == 403
        assert alice_client.get(reverse("support:escalation_stats")).status_code == 403

    def test_incident_edit_unknown_is_404(self, programme_staff):
        assert client_for(programme_staff).get(reverse("support:incident_edit", args=[999])).status_code == 404


@pytest.mark.parametrize("name", ["support:request_list", "support:request_create"])
def test_queue_requires_support_role(bob_client, name):
    assert bob_client.get(reverse(name)).status_code == 403


def test_pages_render_for_partner_admin(alice_client, customer, support_request, invoice):
    for name in [
        "support:request_list",
        "support:request_create",
        "support:customer_list",
        "support:customer_create",
        "support:support_profile",
        "support:invoice_list",
        "support:invoice_create",
        "support:policy_edit",
    ]:
        assert alice_client.get(reverse(name)).status_code == 200, name
    assert alice_client.get(reverse("dashboard")).status_code == 200
