"""Core flows in a real browser: inviting a colleague, tenancy and role refusals, the
language switcher (Hebrew right to left, Japanese) and login throttling."""

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from partnerportal.models import Invitation, Membership, OutgoingMail, Role

pytestmark = pytest.mark.browser


def test_partner_admin_invites_a_colleague_who_joins(alice, browser_page, new_page, screenshot):
    page = browser_page("alice@a.example")
    screenshot(page, "dashboard")

    page.get_by_role("link", name="Team").first.click()
    expect(page).to_have_url(re.compile(r"/team/$"))
    expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    screenshot(page, "team")

    page.get_by_role("link", name="Invite a colleague").click()
    expect(page).to_have_url(re.compile(r"/team/invite/$"))
    page.get_by_label("E-mail address").fill("dana@a.example")
    # Through the role check-boxes with the keyboard: Partner admin, Survey admin, Referral admin.
    page.keyboard.press("Tab")
    expect(page.get_by_label("Partner admin")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.get_by_label("Survey admin")).to_be_checked()
    expect(page.get_by_label("Referral admin")).to_be_checked()
    expect(page.get_by_label("Partner admin")).not_to_be_checked()
    screenshot(page, "invite")
    page.get_by_role("button", name="Send invitation").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/team/$"))
    expect(page.get_by_text("Invitation sent to dana@a.example.")).to_be_visible()
    pending = page.locator("tr", has_text="dana@a.example")
    expect(pending).to_contain_text("Survey admin")
    expect(pending).to_contain_text("Referral admin")
    screenshot(page, "team-pending")

    # The invitee follows the link from the e-mail in a browser of their own.
    mail = OutgoingMail.objects.get(kind="team_invitation", to="dana@a.example")
    link = next(word for word in mail.body_text.split() if "/join/" in word)
    guest = new_page()
    guest.goto(urlparse(link).path)
    expect(guest.locator("html")).to_have_attribute("lang", "en")
    screenshot(guest, "join")
    guest.get_by_label("Full name").fill("Dana Scully")
    guest.keyboard.press("Tab")
    guest.keyboard.type("a-long-pass-phrase")
    guest.keyboard.press("Tab")
    guest.keyboard.type("a-long-pass-phrase")
    with guest.expect_navigation():
        guest.keyboard.press("Enter")
    expect(guest).to_have_url(re.compile(r"/dashboard/$"))
    expect(guest.get_by_text("Welcome to Alice Partners.")).to_be_visible()
    screenshot(guest, "invitee-dashboard")

    membership = Membership.objects.get(user__email="dana@a.example")
    assert sorted(membership.roles) == [Role.REFERRAL_ADMIN, Role.SURVEY_ADMIN]
    assert Invitation.objects.get(email="dana@a.example").status == Invitation.Status.ACCEPTED


def test_other_organisation_gets_404_and_member_without_role_gets_403(alice, bob, charlie, browser_page, screenshot):
    alices = alice.memberships.get()

    page = browser_page("charlie@b.example")
    response = page.goto(f"/team/members/{alices.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text("alice@a.example")).to_have_count(0)
    screenshot(page, "404")

    page = browser_page("bob@a.example")
    expect(page.get_by_role("link", name="Team")).to_have_count(0)  # not offered in the navigation
    response = page.goto("/team/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You do not have access to this page.")).to_be_visible()
    screenshot(page, "403")


def _switch_language(page, code: str) -> None:
    with page.expect_navigation():
        page.locator("#language-switch").select_option(code)


def test_language_switcher_turns_the_page_to_hebrew_and_japanese(alice, browser_page, screenshot):
    page = browser_page("alice@a.example")
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "ltr")

    _switch_language(page, "he")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(html).to_have_attribute("lang", "he")
    expect(page.locator("html[dir=rtl]")).to_have_count(1)
    expect(page.locator("link[href*='bootstrap.rtl']")).to_have_count(1)
    # Mirrored: the brand sits at the right edge, the user menu at the left.
    brand = page.locator(".navbar-brand").bounding_box()
    assert brand["x"] > page.viewport_size["width"] / 2
    screenshot(page, "hebrew")

    page.goto("/team/")
    expect(page.locator("html[dir=rtl]")).to_have_count(1)
    screenshot(page, "hebrew-team")

    _switch_language(page, "ja")
    expect(page).to_have_url(re.compile(r"/team/$"))
    expect(html).to_have_attribute("lang", "ja")
    expect(html).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("heading", name="Team", exact=True)).to_have_count(0)  # translated
    screenshot(page, "japanese-team")


def test_login_throttling_locks_out_after_five_wrong_passwords(alice, new_page, screenshot):
    page = new_page()
    page.goto("/accounts/login/")
    screenshot(page, "login")
    for attempt in range(1, 6):
        page.get_by_label("E-mail address").fill("alice@a.example")
        page.get_by_label("Password").fill(f"wrong-password-{attempt}")
        with page.expect_navigation():
            page.get_by_label("Password").press("Enter")
        if attempt < 5:
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("heading", name="Too many failed sign-in attempts")).to_be_visible()
    screenshot(page, "locked-out")

    # Even the right password is refused now.
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill("alice@a.example")
    page.get_by_label("Password").fill("correct-horse-battery")
    with page.expect_navigation():
        page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Too many failed sign-in attempts")).to_be_visible()
    assert "/dashboard/" not in page.url
