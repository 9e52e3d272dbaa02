"""Leads in a real browser: a referral admin accepts a customer's inquiry (the deal
fields are required), edits the deal and marks it won, and declines another lead (a reason
is required). Then the tenancy refusals on the lead pages."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from conftest import make_member
from leads import services
from leads.models import Lead, LeadContact
from partnerportal.models import Location, OutgoingMail, Role

pytestmark = pytest.mark.browser


def _published(org):
    location = Location.objects.create(
        org=org, name="Seattle", city="Seattle", country="US", contact_name="Dana", contact_email="dana@a.example"
    )
    profile = services.profile_save(
        org=org,
        actor=None,
        description="We move businesses to the cloud.",
        keywords=["cloud migration"],
        industries=["retail"],
        company_sizes=["10-49"],
        locations=[location],
    )
    services.profile_set_published(profile=profile, published=True, actor=None)


def _inquiry(org, company, email) -> Lead:
    return services.lead_create(
        org=org,
        type=Lead.Type.CUSTOMER_INQUIRY,
        need="Move our file shares to the cloud.",
        customer_company=company,
        company_size="10-49",
        country="US",
        contact_name="Terry Customer",
        contact_email=email,
        contact_phone="+1 555 0100",
        may_contact_directly=True,
    )


def _submit(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def test_referral_admin_accepts_edits_and_wins_a_lead_and_declines_another(org_a, browser_page, screenshot):
    _published(org_a)
    tailwind = _inquiry(org_a, "Tailwind Traders", "terry@tailwind.example")
    fabrikam = _inquiry(org_a, "Fabrikam Bakery", "sam@fabrikam.example")
    make_member("rita@a.example", org_a, [Role.REFERRAL_ADMIN])

    page = browser_page("rita@a.example")
    page.get_by_role("link", name="Leads", exact=True).click()
    expect(page).to_have_url(re.compile(r"/leads/$"))
    expect(page.locator("tr", has_text="Tailwind Traders")).to_contain_text("Received")
    page.get_by_role("link", name="Tailwind Traders").click()
    expect(page).to_have_url(re.compile(rf"/leads/{tailwind.pk}/$"))
    expect(page.locator("h1 .badge")).to_have_text("Received")
    screenshot(page, "lead-received")

    # Accept: the deal fields are required.
    page.get_by_role("link", name="Accept").click()
    expect(page.get_by_role("heading", name="Accept lead")).to_be_visible()
    _submit(page, "Accept lead")
    expect(page.locator(".invalid-feedback", has_text="This field is required.")).to_have_count(4)
    tailwind.refresh_from_db()
    assert tailwind.status == Lead.Status.RECEIVED
    page.get_by_label("Deal name").fill("File share migration")
    page.get_by_label("Estimated deal value").fill("25000")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("Estimated purchase timeframe").select_option(label="In 1–3 months")
    page.get_by_label("Notes").fill("Wants a pilot in spring.")
    page.get_by_label("Colleague's name").fill("Chris Consultant")
    page.get_by_label("Colleague's e-mail").fill("chris@a.example")
    screenshot(page, "lead-accept")
    _submit(page, "Accept lead")
    expect(page).to_have_url(re.compile(rf"/leads/{tailwind.pk}/$"))
    expect(page.get_by_text("Lead accepted. Good luck with the deal!")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("Accepted")
    expect(page.get_by_text("25,000.00 EUR")).to_be_visible()
    expect(page.get_by_text("Chris Consultant", exact=True)).to_be_visible()
    tailwind.refresh_from_db()
    assert tailwind.status == Lead.Status.ACCEPTED
    assert (tailwind.deal_name, tailwind.deal_value, tailwind.deal_currency) == (
        "File share migration",
        Decimal("25000.00"),
        "EUR",
    )
    assert tailwind.purchase_timeframe == Lead.Timeframe.QUARTER
    assert tailwind.responded_at is not None
    assert LeadContact.objects.get(lead=tailwind).email == "chris@a.example"

    # Edit the deal.
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("Deal name")).to_have_value("File share migration")
    page.get_by_label("Estimated deal value").fill("32000")
    page.get_by_label("CRM ID").fill("CRM-4711")
    _submit(page, "Save deal")
    expect(page.get_by_text("Deal saved.")).to_be_visible()
    expect(page.get_by_text("32,000.00 EUR")).to_be_visible()
    expect(page.get_by_text("CRM-4711")).to_be_visible()
    tailwind.refresh_from_db()
    assert (tailwind.deal_value, tailwind.crm_id, tailwind.status) == (Decimal("32000.00"), "CRM-4711", "accepted")

    # Won.
    page.get_by_role("link", name="Mark won").click()
    expect(page.get_by_role("heading", name="Mark the deal won")).to_be_visible()
    page.get_by_label("Outcome notes").fill("Signed after the pilot.")
    _submit(page, "Mark won")
    expect(page.get_by_text("Congratulations! The lead is archived as won.")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("Won")
    expect(page.get_by_text("This lead is archived as Won. No further action is possible.")).to_be_visible()
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    screenshot(page, "lead-won")
    tailwind.refresh_from_db()
    assert tailwind.status == Lead.Status.WON
    assert tailwind.closed_at is not None
    assert tailwind.outcome_notes == "Signed after the pilot."

    # Decline the other lead: a reason is required.
    page.get_by_role("link", name="Leads", exact=True).first.click()
    expect(page.locator("tr", has_text="Tailwind Traders")).to_contain_text("Won")
    page.get_by_role("link", name="Fabrikam Bakery").click()
    page.get_by_role("link", name="Decline").click()
    page.get_by_label("Notes").fill("We are fully booked until autumn.")
    _submit(page, "Decline and close")
    expect(page.locator("#id_reason")).to_have_class(re.compile(r"\bis-invalid\b"))
    fabrikam.refresh_from_db()
    assert fabrikam.status == Lead.Status.RECEIVED
    page.get_by_label("Reason").select_option(label="No capacity at the moment")
    _submit(page, "Decline and close")
    expect(page).to_have_url(re.compile(rf"/leads/{fabrikam.pk}/$"))
    expect(page.get_by_text("Lead declined. We will ask the customer to choose another partner.")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("Declined")
    expect(page.get_by_text("No capacity at the moment", exact=True)).to_be_visible()
    expect(page.get_by_text("sam@fabrikam.example")).to_have_count(0)  # the customer has moved on
    screenshot(page, "lead-declined")
    fabrikam.refresh_from_db()
    assert (fabrikam.status, fabrikam.decline_reason) == (Lead.Status.DECLINED, "no_capacity")
    assert fabrikam.decline_notes == "We are fully booked until autumn."
    assert OutgoingMail.objects.filter(kind="lead_declined", to="sam@fabrikam.example").count() == 1


def test_lead_pages_are_404_for_another_organisation_and_403_without_the_role(org_a, alice, bob, charlie, browser_page):
    _published(org_a)
    lead = _inquiry(org_a, "Tailwind Traders", "terry@tailwind.example")

    page = browser_page("charlie@b.example")
    for path in (f"/leads/{lead.pk}/", f"/leads/{lead.pk}/accept/"):
        assert page.goto(path).status == 404
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(page.get_by_text("Tailwind Traders")).to_have_count(0)

    page = browser_page("bob@a.example")
    expect(page.get_by_role("link", name="Leads", exact=True)).to_have_count(0)
    assert page.goto("/leads/").status == 403
    assert page.goto(f"/leads/{lead.pk}/").status == 403
    expect(page.get_by_role("heading", name="You do not have access to this page.")).to_be_visible()
    expect(page.get_by_text("Tailwind Traders")).to_have_count(0)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.RECEIVED
