"""Support escalations in a real browser: a support agent records the service-health check,
is refused an escalation for a how-to question (the reason is shown on the form) and
escalates an outage through an eligible support vehicle. Then the tenancy refusals."""

import re

import pytest
from playwright.sync_api import expect

from conftest import make_member
from partnerportal.models import Role
from support import services
from support.models import Escalation, SupportRequest

pytestmark = pytest.mark.browser


def _request(org, actor) -> SupportRequest:
    org.csp_relationship = "direct"
    org.save(update_fields=["csp_relationship"])
    customer = services.customer_create(
        org=org,
        actor=actor,
        company="Hotel Nord",
        tenant_domain="hotelnord.onmicrosoft.com",
        country="PL",
        language="pl",
        billing_contact_name="Anna Kasa",
        billing_contact_email="anna@hotelnord.example",
        billing_contact_phone="",
        technical_contact_name="Tomasz IT",
        technical_contact_email="tomasz@hotelnord.example",
        technical_contact_phone="",
    )
    return services.request_create(
        org=org,
        customer=customer,
        requester=customer.contacts.get(email="tomasz@hotelnord.example"),
        category="technical",
        service="exchange_online",
        severity="A",
        subject="Mailboxes unreachable",
        description="Since 8:00 nobody at the hotel can open their mailbox.",
    )


def _submit(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Escalate", exact=True).click()


def test_support_agent_is_refused_a_how_to_escalation_and_escalates_an_outage(org_a, alice, browser_page, screenshot):
    req = _request(org_a, alice)
    make_member("sven@a.example", org_a, [Role.SUPPORT_AGENT])

    page = browser_page("sven@a.example")
    page.get_by_role("link", name="Support", exact=True).click()
    page.get_by_role("link", name="Mailboxes unreachable").click()
    expect(page).to_have_url(re.compile(rf"/support/requests/{req.pk}/$"))

    # Step 1: service health, before anything can be escalated.
    with page.expect_navigation():
        page.get_by_role("button", name="Record health check").click()
    expect(page.get_by_text("Service health check recorded.")).to_be_visible()
    page.get_by_role("link", name="Escalate to the vendor").click()
    expect(page).to_have_url(re.compile(rf"/support/requests/{req.pk}/escalate/$"))
    # The vehicles this gold partner without a paid contract may use, and why not the others.
    expect(page.get_by_label("Premier Support for Partners")).to_be_disabled()
    expect(page.get_by_label("Partner cloud support")).to_be_enabled()

    # A how-to question stays with the partner.
    page.get_by_label("How-to or usage question").check()
    page.get_by_label("Why this falls into the category").fill("The customer asks how to share a calendar.")
    page.get_by_label("Partner cloud support").check()
    _submit(page)
    refusal = page.get_by_role("alert").filter(has_text="This cannot be escalated.")
    expect(refusal).to_contain_text("How-to questions are resolved by you")
    expect(page.get_by_label("How-to or usage question")).to_be_checked()
    screenshot(page, "escalation-refused")
    assert not Escalation.objects.exists()
    req.refresh_from_db()
    assert req.status != SupportRequest.Status.ESCALATED

    # An outage goes to the vendor.
    page.get_by_label("Service unavailable").check()
    page.get_by_label("Why this falls into the category").fill(
        "Exchange Online refuses every sign-in for the tenant; no health incident is posted."
    )
    page.get_by_label("Ticket number").fill("SR-2604-0042")
    _submit(page)
    expect(page).to_have_url(re.compile(rf"/support/requests/{req.pk}/$"))
    expect(page.get_by_text("Request escalated.")).to_be_visible()
    expect(page.locator(".page-header .badge")).to_have_text("Escalated")
    escalations = page.locator(".card", has=page.locator(".card-header", has_text="Escalations"))
    expect(escalations).to_contain_text("Service unavailable")
    expect(escalations).to_contain_text("Partner cloud support")
    expect(escalations).to_contain_text("SR-2604-0042")
    expect(page.get_by_role("link", name="Escalate to the vendor")).to_have_count(0)
    screenshot(page, "ticket-escalated")

    escalation = Escalation.objects.get()
    assert escalation.request_id == req.pk
    assert escalation.org == org_a
    assert (escalation.category, escalation.vehicle) == ("service_unavailable", "partner_cloud")
    assert (escalation.target, escalation.status) == (Escalation.Target.VENDOR, Escalation.Status.OPEN)
    assert escalation.vendor_ticket_number == "SR-2604-0042"
    assert escalation.explanation.startswith("Exchange Online refuses every sign-in")
    assert escalation.escalated_by.email == "sven@a.example"
    req.refresh_from_db()
    assert req.status == SupportRequest.Status.ESCALATED


def test_support_pages_are_404_for_another_organisation_and_403_without_the_role(
    org_a, alice, bob, charlie, browser_page
):
    req = _request(org_a, alice)

    page = browser_page("charlie@b.example")
    for path in (f"/support/requests/{req.pk}/", f"/support/requests/{req.pk}/escalate/"):
        assert page.goto(path).status == 404
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(page.get_by_text("Mailboxes unreachable")).to_have_count(0)

    page = browser_page("bob@a.example")
    expect(page.get_by_role("link", name="Support", exact=True)).to_have_count(0)
    assert page.goto("/support/").status == 403
    assert page.goto(f"/support/requests/{req.pk}/escalate/").status == 403
    expect(page.get_by_role("heading", name="You do not have access to this page.")).to_be_visible()
    expect(page.get_by_text("Mailboxes unreachable")).to_have_count(0)
