"""Customer survey in a real browser: a survey admin uploads contacts and sends the
invitations; two customers answer through their personal links from the outbox, one in
Hebrew (right to left) and one in Japanese; the partner reads the results and downloads
them as CSV and PDF. Then the tenancy refusals on the survey pages."""

import csv
import io
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from conftest import make_member
from csat.models import Contact, Invitation, Response
from csat.tests.factories import make_contact
from partnerportal.models import OutgoingMail, Role

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

CONTACTS_CSV = (
    "first_name,last_name,email,customer_organisation,language,consent\n"
    "Noa,Levi,noa@galil.example,Galil Software,he,yes\n"
    "Ken,Sato,ken@sakura.example,Sakura Trading,ja,yes\n"
    "Olaf,Berg,olaf@fjord.example,Fjord Shipping,nb,no\n"
)
HEBREW_COMMENT = "שירות מצוין, תודה רבה לצוות"
JAPANESE_COMMENT = "迅速で丁寧な対応に感謝します"


def _personal_link(email: str) -> str:
    mail = OutgoingMail.objects.get(kind="csat_invitation", to=email)
    link = next(word for word in mail.body_text.split() if "/csat/s/" in word)
    return urlparse(link).path


def _answer(page, answers: dict, comment: str) -> None:
    """Pick each score by its button, write the comment and send."""
    for field, value in answers.items():
        page.locator(f"label[for={field}-{value}]").click()
        expect(page.locator(f"#{field}-{value}")).to_be_checked()
    page.locator("#comment").fill(comment)
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()


def test_survey_from_upload_to_answers_in_hebrew_and_japanese_to_downloads(
    org_a, alice, new_page, browser_page, screenshot
):
    make_member("sam@a.example", org_a, [Role.SURVEY_ADMIN])
    page = browser_page("sam@a.example")
    page.get_by_role("link", name="Customer survey").click()
    page.locator(".nav-tabs").get_by_role("link", name="Invite customers").click()
    expect(page).to_have_url(re.compile(r"/csat/invite/$"))
    expect(page.get_by_text("No contacts yet. Upload a file or add one.")).to_be_visible()

    # Upload: a preview first, nothing stored yet.
    page.get_by_label("Contacts file (.csv or .xlsx)").set_input_files(
        files=[{"name": "customers.csv", "mimeType": "text/csv", "buffer": CONTACTS_CSV.encode()}]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file").click()
    expect(page).to_have_url(re.compile(r"/csat/invite/uploads/\d+/$"))
    expect(page.get_by_role("heading", name="Upload: customers.csv")).to_be_visible()
    expect(page.get_by_text("3 rows read: 3 ready, 0 with problems.")).to_be_visible()
    expect(page.locator("tr", has_text="ken@sakura.example")).to_contain_text("Sakura Trading")
    expect(page.locator("tr", has_text="ken@sakura.example")).to_contain_text("日本語")  # the language's own name
    expect(page.locator("tr", has_text="noa@galil.example")).to_contain_text("עברית")
    assert not Contact.objects.filter(org=org_a).exists()
    screenshot(page, "upload-preview")

    with page.expect_navigation():
        page.get_by_role("button", name="Import 3 contacts").click()
    expect(page).to_have_url(re.compile(r"/csat/invite/$"))
    expect(page.get_by_text("3 contacts imported.")).to_be_visible()
    expect(page.locator("tr", has_text="olaf@fjord.example")).to_contain_text("No consent")
    assert sorted(Contact.objects.filter(org=org_a).values_list("email", "language", "consent")) == [
        ("ken@sakura.example", "ja", True),
        ("noa@galil.example", "he", True),
        ("olaf@fjord.example", "nb", False),
    ]

    # Only the two who agreed are invited; the button asks first.
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="Invite 2 contacts").click()
    expect(page.get_by_text("2 invitations are being sent.")).to_be_visible()
    screenshot(page, "invite")
    assert Invitation.objects.filter(org=org_a, sent_at__isnull=False).count() == 2
    assert not OutgoingMail.objects.filter(to="olaf@fjord.example").exists()
    # Each invitation is written in the customer's language.
    assert OutgoingMail.objects.get(to="noa@galil.example").language == "he"
    assert OutgoingMail.objects.get(to="ken@sakura.example").language == "ja"

    # Noa answers in Hebrew, right to left.
    noa = new_page(locale="he-IL")
    noa.goto(_personal_link("noa@galil.example"))
    expect(noa.locator("html")).to_have_attribute("lang", "he")
    expect(noa.locator("html")).to_have_attribute("dir", "rtl")
    expect(noa.locator("link[href*='bootstrap.rtl']")).to_have_count(1)
    expect(noa.get_by_text("How likely are you to recommend")).to_have_count(0)  # translated
    # Mirrored: the first question's scale starts at the right edge.
    first, last = (
        noa.locator("label[for=satisfaction-1]").bounding_box(),
        noa.locator("label[for=satisfaction-5]").bounding_box(),
    )
    assert first["x"] > last["x"]
    screenshot(noa, "survey-hebrew")
    _answer(noa, {"satisfaction": 5, "keep_business": 5, "engage_again": 4, "recommend": 10}, HEBREW_COMMENT)
    expect(noa.locator("html")).to_have_attribute("dir", "rtl")
    expect(noa.locator("h1")).to_be_visible()
    expect(noa.get_by_text("Thank you for your feedback!")).to_have_count(0)  # translated

    # Ken answers in Japanese.
    ken = new_page(locale="ja-JP")
    ken.goto(_personal_link("ken@sakura.example"))
    expect(ken.locator("html")).to_have_attribute("lang", "ja")
    expect(ken.locator("html")).to_have_attribute("dir", "ltr")
    expect(ken.get_by_text("How likely are you to recommend")).to_have_count(0)
    screenshot(ken, "survey-japanese")
    _answer(ken, {"satisfaction": 3, "keep_business": 4, "engage_again": 2, "recommend": 6}, JAPANESE_COMMENT)
    expect(ken.get_by_text("Thank you for your feedback!")).to_have_count(0)

    stored = {r.language: r for r in Response.objects.filter(org=org_a)}
    assert set(stored) == {"he", "ja"}
    he, ja = stored["he"], stored["ja"]
    assert (he.satisfaction, he.keep_business, he.engage_again, he.recommend) == (5, 5, 4, 10)
    assert (ja.satisfaction, ja.keep_business, ja.engage_again, ja.recommend) == (3, 4, 2, 6)
    assert (he.comment, he.customer_org, he.respondent_email) == (HEBREW_COMMENT, "Galil Software", "noa@galil.example")
    assert (ja.comment, ja.customer_org) == (JAPANESE_COMMENT, "Sakura Trading")
    assert Invitation.objects.filter(org=org_a, responded_at__isnull=False).count() == 2

    # A personal link answers once.
    assert noa.goto(_personal_link("noa@galil.example")).status == 410

    # The partner reads the results.
    page = browser_page("alice@a.example")
    page.get_by_role("link", name="Customer survey").click()
    expect(page).to_have_url(re.compile(r"/csat/$"))
    stats = page.locator(".card-body", has=page.locator(".stat-label", has_text="Responses"))
    expect(stats.locator(".stat")).to_have_text("2")
    expect(page.locator(".card-body", has_text="Average satisfaction (1–5)").locator(".stat")).to_have_text("4.00")
    expect(page.locator(".card-body", has_text="Response rate").locator(".stat")).to_have_text("100.0%")
    expect(page.get_by_text(HEBREW_COMMENT)).to_be_visible()
    expect(page.get_by_text(JAPANESE_COMMENT)).to_be_visible()
    expect(page.locator("li", has_text=JAPANESE_COMMENT)).to_contain_text("Ken Sato · Sakura Trading")
    expect(page.locator("li", has_text=JAPANESE_COMMENT)).to_contain_text("日本語")
    screenshot(page, "results")

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert re.fullmatch(r"csat-responses-\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename)
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    by_org = {row["Customer organization"]: row for row in rows}
    assert set(by_org) == {"Galil Software", "Sakura Trading"}
    assert by_org["Galil Software"]["Comment"] == HEBREW_COMMENT
    assert by_org["Galil Software"]["Language"] == "he"
    assert [by_org["Galil Software"][c] for c in ("Satisfaction", "Recommend")] == ["5", "10"]
    assert by_org["Sakura Trading"]["Comment"] == JAPANESE_COMMENT
    assert by_org["Sakura Trading"]["E-mail address"] == "ken@sakura.example"
    assert [by_org["Sakura Trading"][c] for c in ("Satisfaction", "Engage again", "Recommend")] == ["3", "2", "6"]

    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    download.value.save_as(ARTIFACTS / "csat-results.pdf")  # kept to look at, like the screenshots


def test_survey_pages_are_404_for_another_organisation_and_403_without_the_role(
    org_a, alice, bob, charlie, browser_page, screenshot
):
    contact = make_contact(org_a, "ana@customer.example")

    page = browser_page("charlie@b.example")
    assert page.goto(f"/csat/contacts/{contact.pk}/").status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text("ana@customer.example")).to_have_count(0)

    page = browser_page("bob@a.example")
    expect(page.get_by_role("link", name="Customer survey")).to_have_count(0)
    assert page.goto("/csat/").status == 403
    assert page.goto(f"/csat/contacts/{contact.pk}/").status == 403
    expect(page.get_by_role("heading", name="You do not have access to this page.")).to_be_visible()
    expect(page.get_by_text("ana@customer.example")).to_have_count(0)
