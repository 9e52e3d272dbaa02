"""The call-center agent's screen in a real browser, driven only by the keyboard: the
type-ahead reason search picks "Feedback › Complaint", Tab walks the fields, Enter saves, and
the complaint is stored closed with its "Complaint Details:" notes. Then who may open a
logged contact: another agent gets 404, partners' people (Bob, Charlie) get 403."""

import importlib
import re

import pytest
from django.apps import apps
from playwright.sync_api import expect

from conftest import PASSWORD
from contacts import services
from contacts.models import Contact, ContactReason
from contacts.taxonomy import invalidate
from partnerportal.models import User

pytestmark = pytest.mark.browser

# The options of a select whose text is wider than the room the closed select leaves for it.
OPTIONS_CUT_OFF = """select => {
    const style = getComputedStyle(select);
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = style.font;
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return [...select.options].map(o => o.text).filter(text => ctx.measureText(text).width > room);
}"""


@pytest.fixture
def taxonomy(transactional_db):
    """The reasons come from a data migration; an earlier browser test's flush removed them."""
    if not ContactReason.objects.exists():
        importlib.import_module("contacts.migrations.0002_load_contact_reasons").load(apps, None)
    invalidate()
    yield ContactReason.objects.get(label_en="Complaint", parent__label_en="Feedback", parent__parent=None)
    invalidate()


def test_agent_logs_a_closed_complaint_with_the_keyboard_only(taxonomy, agent, browser_page, screenshot):
    page = browser_page("agent@vendor.example")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Log a contact").click()
    expect(page).to_have_url(re.compile(r"/contacts/$"))
    search = page.get_by_role("combobox", name="Search all reasons")
    expect(search).to_be_focused()  # the agent starts typing at once
    # At 1280 pixels every option of the short selects shows whole, e.g. "Not referred or transferred".
    for name in ("interaction_type", "referred_team", "referred_org"):
        cut = page.locator(f"select[name={name}]").evaluate(OPTIONS_CUT_OFF)
        assert not cut, f"{name} cuts off {cut}"

    # Part of the name, then the arrow keys to the complaint, then Enter.
    page.keyboard.type("compl")
    options = page.locator("#reason-results [role=option]")
    expect(options.first).to_be_visible()
    labels = options.all_inner_texts()
    index = next(i for i, text in enumerate(labels) if text.splitlines()[0].endswith("Feedback › Complaint"))
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    expect(options.nth(index)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page.locator("#reason-chosen [data-path]")).to_have_text("Feedback › Complaint")
    expect(page.locator("#reason-results")).to_be_hidden()

    # The complaint description comes next, then Tab through the fields.
    description = page.get_by_label("Complaint description (in English)")
    expect(description).to_be_focused()
    page.keyboard.type("The retail box had no product key inside.")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Product")).to_be_focused()
    page.keyboard.type("Office 2021")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Market")).to_be_focused()
    page.keyboard.press("c")  # type-ahead in the list: Consumer
    expect(page.get_by_label("Market")).to_have_value("consumer")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Interaction type")).to_be_focused()
    expect(page.get_by_label("Interaction type")).to_have_value("inbound_call")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("select[name=referred_org]")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Registered customer")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Anonymous caller")).to_be_checked()
    expect(page.get_by_text("Nothing about the caller is stored.")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Delivery channel")).to_be_focused()
    page.keyboard.press("r")  # Retail (boxed product)
    expect(page.get_by_label("Delivery channel")).to_have_value("retail")
    page.keyboard.press("Tab")
    # A complaint is feedback: the action is filled in for the agent.
    expect(page.get_by_label("Action taken")).to_be_focused()
    expect(page.get_by_label("Action taken")).to_have_value("feedback_recorded")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Contact summary notes")).to_be_focused()
    page.keyboard.type("Apologised; customer will return the box to the shop.")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Duration")).to_be_focused()
    page.keyboard.type("4:30")
    screenshot(page, "agent-screen")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # A fresh, empty form for the next caller, and a link to the saved contact.
    expect(page).to_have_url(re.compile(r"/contacts/$"))
    saved = page.get_by_role("alert").filter(has_text="Contact saved.")
    expect(saved).to_be_visible()
    expect(page.get_by_label("Product")).to_have_value("")
    contact = Contact.objects.get()
    expect(saved.get_by_role("link", name=f"View contact #{contact.pk}")).to_be_visible()
    assert contact.agent == agent
    assert contact.reason == taxonomy
    assert contact.status == Contact.Status.CLOSED
    assert contact.action_taken == "feedback_recorded"
    assert contact.notes == (
        "Complaint Details: The retail box had no product key inside.\n\n"
        "Apologised; customer will return the box to the shop."
    )
    assert (contact.product, contact.market, contact.delivery_channel) == ("Office 2021", "consumer", "retail")
    assert contact.interaction_type == "inbound_call"
    assert contact.caller is None
    assert contact.duration_seconds == 270

    saved.get_by_role("link", name=f"View contact #{contact.pk}").click()
    expect(page).to_have_url(re.compile(rf"/contacts/log/{contact.pk}/$"))
    expect(page.get_by_text("Complaint Details: The retail box had no product key inside.")).to_be_visible()
    screenshot(page, "contact-detail")


def test_a_logged_contact_is_404_for_another_agent_and_403_for_partners(taxonomy, agent, bob, charlie, browser_page):
    contact = services.contact_create(
        agent=agent,
        reason=taxonomy,
        action_taken="",
        complaint_description="Rude answer in the shop.",
        notes="",
    )
    User.objects.create_user(email="agent2@vendor.example", password=PASSWORD, is_call_center_agent=True)

    page = browser_page("agent2@vendor.example")
    assert page.goto(f"/contacts/log/{contact.pk}/").status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text("Rude answer in the shop.")).to_have_count(0)

    for email in ("charlie@b.example", "bob@a.example"):
        page = browser_page(email)
        expect(page.get_by_role("link", name="Log a contact")).to_have_count(0)
        assert page.goto("/contacts/").status == 403
        assert page.goto(f"/contacts/log/{contact.pk}/").status == 403
        expect(page.get_by_role("heading", name="You do not have access to this page.")).to_be_visible()
        expect(page.get_by_text("Rude answer in the shop.")).to_have_count(0)
