"""Every URL that takes an object id, walked from the URLconf: another organisation's member
gets a 404 (the object does not exist for him), a member of the owning organisation without
the role gets a 403, and the owner gets the page. A new id-taking URL fails
`test_every_id_taking_url_is_covered` until it is added to the registry below, so no page
can be forgotten. Vendor-side pages (call center, programme staff, superusers) refuse
partner members, public token pages answer an unknown token with a clear 404."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, client_for
from partnerportal.models import Invitation, Location, OutgoingMail, Role, User, hash_token
from tests.urlwalk import routes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_caches():
    # Rate-limit counters and the call-center taxonomy live outside the test transaction.
    from contacts.taxonomy import invalidate

    cache.clear()
    invalidate()
    yield
    invalidate()


class World:
    """Alice's organisation with one object of every kind, each built only when asked for."""

    def __init__(self, org, alice):
        self.org, self.alice = org, alice
        org.csp_relationship = "direct"
        org.save(update_fields=["csp_relationship"])

    @cached_property
    def agent(self):
        return User.objects.create_user(email="logger@vendor.example", password=PASSWORD, is_call_center_agent=True)

    @cached_property
    def location(self):
        return Location.objects.create(
            org=self.org, name="Seattle", country="US", contact_name="Dana", contact_email="dana@a.example"
        )

    @cached_property
    def invitation(self):
        return Invitation.objects.create(
            org=self.org,
            email="new@a.example",
            token_hash=hash_token("t" * 43),
            invited_by=self.alice,
            expires_at=timezone.now() + dt.timedelta(days=7),
        )

    @cached_property
    def mail(self):
        return OutgoingMail.objects.create(org=self.org, kind="x", to="x@a.example", subject="s", body_text="b")

    # CSAT
    @cached_property
    def report(self):
        from csat.models import MonthlyReport

        return MonthlyReport.objects.create(
            org=self.org, month=dt.date(2026, 2, 1), pdf=b"%PDF-1.7", mailed_at=timezone.now()
        )

    @cached_property
    def contact_import(self):
        from csat.models import ContactImport

        return ContactImport.objects.create(org=self.org, created_by=self.alice, filename="c.csv", total_rows=0)

    @cached_property
    def csat_contact(self):
        from csat.tests.factories import make_contact

        return make_contact(self.org)

    @cached_property
    def question(self):
        from csat.models import Question

        return Question.objects.create(org=self.org, kind="rating", texts={"en": "Docs?"})

    # Call center (vendor side: contacts belong to the agent who logged them)
    @cached_property
    def caller(self):
        from contacts.models import CallerCustomer

        return CallerCustomer.objects.create(name="Anna Ivanova", email="anna@example.com", phone_digits="74955550100")

    @cached_property
    def call(self):
        from contacts import services
        from contacts.tests.conftest import reason_at

        reason = reason_at("Post-Sales Inquiry", "Product Key/PID", "Lost")
        return services.contact_create(
            agent=self.agent, reason=reason, action_taken="escalated", caller=self.caller, referred_team="licensing"
        )

    # Support
    @cached_property
    def customer(self):
        from support import services

        return services.customer_create(
            org=self.org,
            actor=self.alice,
            company="Hotel Nord",
            tenant_domain="HotelNord.onmicrosoft.com",
            country="PL",
            language="pl",
            billing_contact_name="Anna Kasa",
            billing_contact_email="anna@hotelnord.example",
            billing_contact_phone="",
            technical_contact_name="Tomasz IT",
            technical_contact_email="tomasz@hotelnord.example",
            technical_contact_phone="",
        )

    @cached_property
    def customer_contact(self):
        return self.customer.contacts.get(email="tomasz@hotelnord.example")

    @cached_property
    def support_request(self):
        from support import services

        return services.request_create(
            org=self.org,
            customer=self.customer,
            requester=self.customer_contact,
            category="technical",
            service="exchange_online",
            severity="B",
            subject="Mail not arriving",
            description="Since this morning no mail arrives.",
        )

    def _escalation(self, **extra):
        from support.models import Escalation

        return Escalation.objects.create(
            org=self.org,
            request=self.support_request,
            category="service_unavailable",
            explanation="Down for everyone",
            escalated_by=self.alice,
            **extra,
        )

    @cached_property
    def escalation(self):
        return self._escalation(vehicle="partner_cloud", target="vendor")

    @cached_property
    def provider_escalation(self):
        # Alice's organisation as the indirect provider that works the escalation.
        return self._escalation(vehicle="indirect_provider", target="provider", provider_org=self.org)

    @cached_property
    def subscription(self):
        from support.tests.conftest import make_subscription

        return make_subscription(self.customer)

    @cached_property
    def invoice(self):
        from support.tests.conftest import make_invoice

        return make_invoice(self.customer)

    @cached_property
    def incident(self):
        from support.models import ServiceHealthIncident

        return ServiceHealthIncident.objects.create(service="exchange_online", title="Mail delays")

    # Leads
    @cached_property
    def profile(self):
        from leads.tests.conftest import publish_profile

        return publish_profile(self.org, [self.location])

    @cached_property
    def lead(self):
        from leads.tests.conftest import make_inquiry

        return make_inquiry(self.profile.org)


def pk(attr):
    return lambda w: {"pk": getattr(w, attr).pk}


# Partner pages: Charlie (organisation B) 404, Bob (organisation A, no role) 403, Alice the page.
TENANT = {
    "location_edit": pk("location"),
    "team_member": lambda w: {"pk": w.alice.memberships.get().pk},
    "team_invitation_revoke": pk("invitation"),
    "csat:report_download": pk("report"),
    "csat:import_detail": pk("contact_import"),
    "csat:contact_edit": pk("csat_contact"),
    "csat:contact_delete": pk("csat_contact"),
    "csat:question_edit": pk("question"),
    "csat:question_remove": pk("question"),
    "support:request_detail": pk("support_request"),
    "support:request_escalate": pk("support_request"),
    "support:escalation_update": pk("escalation"),
    "support:provider_escalation_detail": pk("provider_escalation"),
    "support:customer_detail": pk("customer"),
    "support:customer_edit": pk("customer"),
    "support:contact_create": pk("customer"),
    "support:subscription_create": lambda w: {"customer_pk": w.customer.pk},
    "support:contact_link": pk("customer_contact"),
    "support:subscription_edit": pk("subscription"),
    "support:invoice_detail": pk("invoice"),
    **{
        f"leads:{name}": pk("lead")
        for name in (
            "lead_detail",
            "lead_accept",
            "lead_decline",
            "lead_edit",
            "lead_add_contact",
            "lead_mark_won",
            "lead_mark_lost",
            "lead_favourite",
        )
    },
}
# Vendor-side pages with an id: partner members 403; the audience comes from the decorator.
VENDOR = {
    "outbox_detail": pk("mail"),
    "contacts:detail": pk("call"),
    "contacts:close": pk("call"),
    "contacts:correct": pk("call"),
    "contacts:caller_recent": pk("caller"),
    "support:incident_edit": pk("incident"),
}
# Public pages with an id: only published profiles exist there.
PUBLIC_BY_ID = {"leads:directory_profile", "leads:directory_sent"}
# Public pages reached by a secret token (tested below with unknown and malformed tokens).
TOKEN = {
    "invitation_accept",
    "password_reset_confirm",
    "csat:personal_survey",
    "csat:open_survey",
    "csat:opt_out",
    "support:customer_home",
    "support:customer_request_create",
    "support:customer_request",
}
# Arguments that name a format, not an object.
NOT_AN_OBJECT = {"csat:results_download": {"fmt": "csv"}, "csat:contacts_template": {"fmt": "csv"}}

ROUTES = {r.name: r for r in routes()}


def test_every_id_taking_url_is_covered():
    taking = {name for name, r in ROUTES.items() if r.converters}
    covered = set(TENANT) | set(VENDOR) | PUBLIC_BY_ID | TOKEN | set(NOT_AN_OBJECT)
    assert taking - covered == set(), "add these URLs to a registry in tests/test_security_urls.py"
    assert covered - taking == set(), "these URLs no longer exist: remove them from the registry"


def _codes(client, url):
    """GET, and POST where the view takes it (405 = the view does not accept that method)."""
    codes = {"get": client.get(url).status_code, "post": client.post(url, {}).status_code}
    return {m: c for m, c in codes.items() if c != 405}


def _world(org_a, alice):
    return World(org_a, alice)


@pytest.mark.parametrize("name", sorted(TENANT))
def test_other_organisation_gets_404_member_without_role_403(name, org_a, alice, bob, charlie):
    world = _world(org_a, alice)
    url = reverse(name, kwargs=TENANT[name](world))
    charlie_codes = _codes(client_for(charlie), url)
    assert charlie_codes and set(charlie_codes.values()) == {404}, charlie_codes
    bob_codes = _codes(client_for(bob), url)
    assert bob_codes and set(bob_codes.values()) == {403}, bob_codes
    # The object is real and Alice's: she is let in (a page, a form, a download or a redirect).
    alice_client = client_for(alice)
    method = "get" if "get" in charlie_codes else "post"
    assert getattr(alice_client, method)(url).status_code in (200, 302)


def test_the_404_and_403_pages_say_what_happened(org_a, alice, bob, charlie):
    url = reverse("leads:lead_detail", kwargs=TENANT["leads:lead_detail"](_world(org_a, alice)))
    not_found = client_for(charlie).get(url)
    assert "404.html" in [t.name for t in not_found.templates]
    refused = client_for(bob).get(url)
    assert "403.html" in [t.name for t in refused.templates]
    assert "Ask your partner admin" in refused.content.decode()


@pytest.mark.parametrize("name", sorted(VENDOR))
def test_vendor_pages_with_an_id_refuse_partner_members(name, org_a, alice, charlie, programme_staff):
    world = _world(org_a, alice)
    url = reverse(name, kwargs=VENDOR[name](world))
    for user in (alice, charlie):
        codes = _codes(client_for(user), url)
        assert codes and set(codes.values()) == {403}, (user.email, codes)
    audience = ROUTES[name].attr("vendor_audience")
    if audience in ("programme_staff", "superuser"):
        codes = _codes(client_for(world.agent), url)
        assert set(codes.values()) == {403}
    if audience == "superuser":
        assert set(_codes(client_for(programme_staff), url).values()) == {403}


def test_an_agent_cannot_open_another_agents_call(org_a, alice):
    world = _world(org_a, alice)
    other = User.objects.create_user(email="agent2@vendor.example", password=PASSWORD, is_call_center_agent=True)
    for name in ("contacts:detail", "contacts:close"):
        codes = _codes(client_for(other), reverse(name, kwargs=VENDOR[name](world)))
        assert set(codes.values()) == {404}, (name, codes)
    assert client_for(world.agent).get(reverse("contacts:detail", args=[world.call.pk])).status_code == 200


VENDOR_PAGES = sorted(name for name, r in ROUTES.items() if r.attr("vendor_audience"))


def test_vendor_pages_are_found_by_the_walk():
    assert {"outbox", "csat:programme", "contacts:reports", "support:incident_list", "leads:staff_funnel"} <= set(
        VENDOR_PAGES
    )


@pytest.mark.parametrize("name", [n for n in VENDOR_PAGES if not ROUTES[n].converters])
def test_programme_staff_and_superuser_pages_refuse_partner_members(name, alice, agent):
    url = reverse(name)
    codes = _codes(client_for(alice), url)
    assert codes and set(codes.values()) == {403}, codes
    if ROUTES[name].attr("vendor_audience") != "agent":
        assert set(_codes(client_for(agent), url).values()) == {403}


ROLE_PAGES = sorted(name for name, r in ROUTES.items() if r.attr("required_roles") and not r.converters)


@pytest.mark.parametrize("name", ROLE_PAGES)
def test_pages_that_need_a_role_refuse_a_member_without_it(name, bob):
    codes = _codes(client_for(bob), reverse(name))
    assert codes and set(codes.values()) == {403}, codes


def test_admin_site_is_for_staff_only(alice):
    response = client_for(alice).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_unpublished_directory_profiles_do_not_exist_for_anyone(org_a, alice):
    from leads import services

    world = _world(org_a, alice)
    services.profile_set_published(profile=world.profile, published=False, actor=alice)
    for name in sorted(PUBLIC_BY_ID):
        url = reverse(name, args=[world.profile.pk])
        assert Client().get(url).status_code == 404
        assert client_for(alice).get(url).status_code == 404


# --- Public token pages ---------------------------------------------------------------------

BAD_TOKENS = ["x", "0" * 43, "A" * 300, "not-a-token-%C3%A9", "..%2F..%2Fetc"]


def _token_url(name, token):
    if name == "password_reset_confirm":
        return reverse(name, kwargs={"uidb64": "MQ", "token": token})
    if name == "support:customer_request":
        return reverse(name, kwargs={"token": token, "pk": 1})
    return reverse(name, kwargs={"token": token})


@pytest.mark.parametrize("name", sorted(TOKEN - {"password_reset_confirm"}))
@pytest.mark.parametrize("token", BAD_TOKENS)
def test_unknown_or_malformed_token_is_a_clear_404(name, token, db):
    url = _token_url(name, token)
    for method in ("get", "post"):
        response = getattr(Client(), method)(url)
        assert response.status_code == 404, (method, response.status_code)
        page = response.content.decode()
        assert "<h1" in page and "Traceback" not in page


def test_unknown_password_reset_link_says_it_is_invalid(db):
    response = Client().get(_token_url("password_reset_confirm", "bad-token"))
    assert response.status_code == 200 and response.context["validlink"] is False


def test_a_customer_link_never_opens_another_organisations_request(org_a, alice, org_b, charlie):
    from support import services

    world = _world(org_a, alice)
    request_a = world.support_request
    org_b.csp_relationship = "direct"
    org_b.save(update_fields=["csp_relationship"])
    customer_b = services.customer_create(
        org=org_b,
        actor=charlie,
        company="Gasthof Süd",
        tenant_domain="GasthofSued.onmicrosoft.com",
        country="DE",
        language="de",
        billing_contact_name="Karl Kasse",
        billing_contact_email="karl@gasthof.example",
        billing_contact_phone="",
        technical_contact_name="Tina Technik",
        technical_contact_email="tina@gasthof.example",
        technical_contact_phone="",
    )
    contact_b = customer_b.contacts.get(email="tina@gasthof.example")
    token_b = services.contact_renew_link(contact=contact_b, actor=charlie)
    url = reverse("support:customer_request", kwargs={"token": token_b, "pk": request_a.pk})
    assert Client().get(url).status_code == 404
    assert Client().get(reverse("support:customer_home", kwargs={"token": token_b})).status_code == 200


def test_bob_is_a_real_member_of_alices_organisation(bob, org_a):
    # The 403s above mean "no role", not "no membership".
    membership = bob.memberships.get()
    assert membership.org == org_a and membership.roles == [] and not membership.has_role(Role.PARTNER_ADMIN)
