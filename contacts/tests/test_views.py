import pytest
from django.urls import reverse

from conftest import client_for
from contacts import services
from contacts.models import CallerCustomer, Contact, ContactReason

from .conftest import reason_at

AGENT_PAGES = [
    "contacts:new",
    "contacts:list",
    "contacts:reason_search",
    "contacts:reason_tree",
    "contacts:caller_search",
]
SUPERVISOR_PAGES = ["contacts:reports", "contacts:reports_export", "contacts:complaints"]


@pytest.mark.parametrize("name", AGENT_PAGES + SUPERVISOR_PAGES)
def test_partner_users_have_no_access(alice_client, charlie_client, name):
    assert alice_client.get(reverse(name)).status_code == 403
    assert charlie_client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", AGENT_PAGES + SUPERVISOR_PAGES)
def test_anonymous_is_sent_to_login(client, db, name):
    assert client.get(reverse(name)).status_code == 302


@pytest.mark.parametrize("name", SUPERVISOR_PAGES)
def test_reports_are_for_supervisors(agent, programme_staff, name):
    assert client_for(agent).get(reverse(name)).status_code == 403
    assert client_for(programme_staff).get(reverse(name)).status_code == 200


def test_agent_logs_a_contact_and_gets_a_fresh_form(agent, caller, lost_key):
    client = client_for(agent)
    page = client.get(reverse("contacts:new"))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]
    assert 'autocomplete="off"' in page.content.decode()
    response = client.post(
        reverse("contacts:new"),
        {
            "reason": lost_key.pk,
            "product": "Windows 11",
            "market": "consumer",
            "interaction_type": "inbound_call",
            "caller_mode": "registered",
            "caller": caller.pk,
            "delivery_channel": "retail",
            "action_taken": "resolved",
            "notes": "Re-sent the key to the registered address.",
            "duration": "7:30",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("contacts:new")
    contact = Contact.objects.get()
    assert (contact.agent, contact.caller, contact.duration_seconds) == (agent, caller, 450)
    fresh = client.get(reverse("contacts:new")).content.decode()
    assert "Contact saved." in fresh
    assert "Anna Ivanova" not in fresh and "Re-sent the key" not in fresh
    assert 'name="product" value=' not in fresh and 'name="caller" value=' not in fresh
    assert not any(k.startswith("contact") for k in client.session.keys())


def test_the_form_says_clearly_when_a_reason_is_not_a_leaf(agent):
    key = reason_at("Post-Sales Inquiry", "Product Key/PID")
    response = client_for(agent).post(
        reverse("contacts:new"),
        {
            "reason": key.pk,
            "interaction_type": "inbound_call",
            "caller_mode": "anonymous",
            "delivery_channel": "unknown",
            "action_taken": "resolved",
        },
    )
    assert response.status_code == 200
    assert "Choose a reason on the last level" in response.content.decode()
    assert not Contact.objects.exists()


def test_complaint_through_the_form(agent, complaint):
    response = client_for(agent).post(
        reverse("contacts:new"),
        {
            "reason": complaint.pk,
            "complaint_description": "Charged twice for one licence.",
            "interaction_type": "inbound_call",
            "caller_mode": "new",
            "new_name": "Olga Smirnova",
            "new_email": "olga@example.com",
            "delivery_channel": "online_store",
            "action_taken": "",
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.notes == "Complaint Details: Charged twice for one licence."
    assert contact.status == "closed" and contact.caller.name == "Olga Smirnova"


def test_reason_search_endpoint(agent, django_assert_max_num_queries):
    client = client_for(agent)
    client.get(reverse("contacts:reason_search"), {"q": "warm"})
    with django_assert_max_num_queries(6):
        data = client.get(reverse("contacts:reason_search"), {"q": "lost"}).json()
    first = data["results"][0]
    assert first["path_display"] == "Post-Sales Inquiry › Product Key/PID › Lost" and first["leaf"] is True
    definition = client.get(reverse("contacts:reason_search"), {"q": "switchboard"}).json()["results"][0]
    assert definition["definition"].startswith("The customer called Microsoft")


def test_caller_search_and_recent_contacts(agent, caller, lost_key):
    services.contact_create(agent=agent, reason=lost_key, action_taken="resolved", caller=caller, notes="Key resent")
    client = client_for(agent)
    for q in ("ivanova", "anna@ex", "555-01-00", "4955550100"):
        assert [r["id"] for r in client.get(reverse("contacts:caller_search"), {"q": q}).json()["results"]] == [
            caller.pk
        ], q
    recent = client.get(reverse("contacts:caller_recent", args=[caller.pk])).content.decode()
    assert "Post-Sales Inquiry › Product Key/PID › Lost" in recent and "Key resent" in recent


class TestCallerRecent:
    def test_it_checks_ownership(self, agent, charlie_client):
        assert client_for(agent).get(reverse("contacts:caller_recent", args=[999999])).status_code == 404
        assert charlie_client.get(reverse("contacts:caller_recent", args=[999999])).status_code == 403

    def test_it_requires_role(self, bob_client, caller):
        assert bob_client.get(reverse("contacts:caller_recent", args=[caller.pk])).status_code == 403


@pytest.fixture
def a_contact(agent, lost_key, caller):
    return services.contact_create(
        agent=agent, reason=lost_key, action_taken="escalated", caller=caller, referred_team="licensing"
    )


class TestContactDetail:
    def test_it_checks_ownership(self, a_contact, other_agent, charlie_client):
        # Agents see only the contacts they logged; partner users see none.
        assert client_for(other_agent).get(reverse("contacts:detail", args=[a_contact.pk])).status_code == 404
        assert charlie_client.get(reverse("contacts:detail", args=[a_contact.pk])).status_code == 403

    def test_it_requires_role(self, a_contact, bob_client):
        assert bob_client.get(reverse("contacts:detail", args=[a_contact.pk])).status_code == 403

    def test_owner_and_supervisor_see_it(self, a_contact, agent, programme_staff):
        page = client_for(agent).get(reverse("contacts:detail", args=[a_contact.pk])).content.decode()
        assert "Anna Ivanova" in page
        staff_page = client_for(programme_staff).get(reverse("contacts:detail", args=[a_contact.pk])).content.decode()
        assert "Post-Sales Inquiry › Product Key/PID › Lost" in staff_page
        # Supervisors work with the record, not the customer's contact details.
        assert "anna@example.com" not in staff_page and "Anna Ivanova" not in staff_page


class TestContactClose:
    def test_it_checks_ownership(self, a_contact, other_agent, charlie_client):
        assert client_for(other_agent).post(reverse("contacts:close", args=[a_contact.pk])).status_code == 404
        assert charlie_client.post(reverse("contacts:close", args=[a_contact.pk])).status_code == 403
        a_contact.refresh_from_db()
        assert a_contact.status == "open"

    def test_it_requires_role(self, a_contact, bob_client):
        assert bob_client.post(reverse("contacts:close", args=[a_contact.pk])).status_code == 403

    def test_owner_closes(self, a_contact, agent):
        client_for(agent).post(reverse("contacts:close", args=[a_contact.pk]))
        a_contact.refresh_from_db()
        assert a_contact.status == "closed"


class TestContactCorrect:
    def test_it_checks_ownership(self, programme_staff, charlie_client, a_contact):
        assert client_for(programme_staff).get(reverse("contacts:correct", args=[999999])).status_code == 404
        assert charlie_client.get(reverse("contacts:correct", args=[a_contact.pk])).status_code == 403

    def test_it_requires_role(self, a_contact, agent, bob_client):
        # The agent who logged it cannot change it afterwards: only supervisors correct.
        assert client_for(agent).get(reverse("contacts:correct", args=[a_contact.pk])).status_code == 403
        assert bob_client.get(reverse("contacts:correct", args=[a_contact.pk])).status_code == 403

    def test_supervisor_corrects(self, a_contact, programme_staff):
        invalid = reason_at("Post-Sales Inquiry", "Product Key/PID", "Invalid")
        response = client_for(programme_staff).post(
            reverse("contacts:correct", args=[a_contact.pk]),
            {
                "reason": invalid.pk,
                "interaction_type": "inbound_call",
                "referred_team": "licensing",
                "delivery_channel": "unknown",
                "action_taken": "escalated",
                "status": "open",
                "notes": "Fixed reason",
                "comment": "Wrong leaf picked",
            },
        )
        assert response.status_code == 302
        a_contact.refresh_from_db()
        assert a_contact.reason == invalid and a_contact.notes == "Fixed reason"
        page = client_for(programme_staff).get(reverse("contacts:detail", args=[a_contact.pk])).content.decode()
        assert "contact.corrected" in page or "Wrong leaf picked" in page or "corrected" in page


def test_contacts_are_never_deleted_by_agents(a_contact, agent):
    from django.contrib.admin.sites import site

    assert not site._registry[Contact].has_delete_permission(type("R", (), {"user": agent})())
    assert client_for(agent).get(reverse("admin:contacts_contact_changelist")).status_code == 302


def test_list_agent_sees_own_supervisor_sees_all(
    agent, other_agent, programme_staff, lost_key, django_assert_max_num_queries
):
    for i in range(30):
        services.contact_create(
            agent=agent if i % 2 else other_agent, reason=lost_key, action_taken="resolved", notes=f"n{i}"
        )
    client = client_for(agent)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("contacts:list"))
    assert len(page.context["page"].object_list) == 15
    staff = client_for(programme_staff)
    with django_assert_max_num_queries(10):
        page = staff.get(reverse("contacts:list"), {"agent": other_agent.pk, "reason": lost_key.parent.parent_id})
    assert len(page.context["page"].object_list) == 15
    assert len(staff.get(reverse("contacts:list")).context["page"].object_list) == 30


def test_list_paginates_by_keyset(agent, lost_key):
    for _ in range(55):
        services.contact_create(agent=agent, reason=lost_key, action_taken="resolved")
    client = client_for(agent)
    first = client.get(reverse("contacts:list")).context["page"]
    assert first.has_next and len(first.object_list) == 50
    second = client.get(reverse("contacts:list") + first.next_query).context["page"]
    assert len(second.object_list) == 5
    assert not {c.pk for c in first} & {c.pk for c in second}


def test_reports_count_descendants_and_drill_down(
    agent, programme_staff, lost_key, complaint, django_assert_max_num_queries
):
    services.contact_create(agent=agent, reason=lost_key, action_taken="resolved")
    services.contact_create(
        agent=agent, reason=reason_at("Post-Sales Inquiry", "Product Key/PID", "Invalid"), action_taken="resolved"
    )
    services.contact_create(
        agent=agent, reason=reason_at("Post-Sales Inquiry", "Piracy"), action_taken="information_provided"
    )
    services.contact_create(
        agent=agent, reason=complaint, action_taken="", complaint_description="Slow", product="=HYPERLINK(1)"
    )
    client = client_for(programme_staff)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("contacts:reports"))
    rows = {r["label"]: r["count"] for r in page.context["rows"]}
    assert rows["Post-Sales Inquiry"] == 3 and rows["Feedback"] == 1
    assert "<svg" in page.content.decode()
    post_sales = reason_at("Post-Sales Inquiry")
    level2 = {r["label"]: r for r in client.get(reverse("contacts:reports"), {"parent": post_sales.pk}).context["rows"]}
    assert level2["Product Key/PID"]["count"] == 2 and level2["Product Key/PID"]["drill"]
    level3 = client.get(reverse("contacts:reports"), {"parent": lost_key.parent_id}).context["rows"]
    assert {r["label"]: r["count"] for r in level3 if r["count"]} == {"Lost": 1, "Invalid": 1}
    for dimension in ("interaction_type", "action_taken", "agent", "period"):
        assert client.get(reverse("contacts:reports"), {"dimension": dimension}).status_code == 200
    monthly = client.get(reverse("contacts:reports"), {"dimension": "period", "period": "month"}).context["rows"]
    assert sum(r["count"] for r in monthly) == 4
    csv_text = client.get(reverse("contacts:reports_export"), {"parent": post_sales.pk}).content.decode()
    assert "Post-Sales Inquiry › Product Key/PID,2," in csv_text
    complaints = client.get(reverse("contacts:complaints"), {"format": "csv"}).content.decode()
    assert "Complaint Details: Slow" in complaints
    # A cell a spreadsheet would run as a formula arrives as text.
    assert "'=HYPERLINK(1)" in complaints and ",=HYPERLINK" not in complaints


def test_agents_cannot_edit_the_taxonomy_but_supervisors_can(agent, programme_staff, supervisor_group):
    programme_staff.groups.add(supervisor_group)
    url = reverse("admin:contacts_contactreason_changelist")
    assert client_for(agent).get(url).status_code == 302  # not staff: sent to the admin login
    staff = client_for(programme_staff)
    assert staff.get(url).status_code == 200
    feedback = reason_at("Feedback")
    response = staff.post(
        reverse("admin:contacts_contactreason_add"),
        {
            "parent": feedback.pk,
            "label_en": "Accessibility",
            "label_ru": "Доступность",
            "order": 4,
            "is_active": "on",
            "grouping": "",
        },
    )
    assert response.status_code == 302
    assert reason_at("Feedback", "Accessibility").level == 2
    assert not programme_staff.has_perm("contacts.delete_contactreason")
    assert not programme_staff.has_perm("contacts.view_callercustomer")
    assert not programme_staff.has_perm("contacts.view_contact")
    assert ContactReason.objects.filter(label_en="Accessibility").count() == 1


def test_dashboard_panel_for_agents(agent, lost_key, django_assert_max_num_queries):
    services.contact_create(agent=agent, reason=lost_key, action_taken="resolved")
    page = client_for(agent).get(reverse("dashboard")).content.decode()
    assert "Your contacts today" in page and "Post-Sales Inquiry › Product Key/PID › Lost" in page


def test_navigation_entries(agent, programme_staff, alice_client):
    assert "Log a contact" in client_for(agent).get(reverse("dashboard")).content.decode()
    staff_page = client_for(programme_staff).get(reverse("dashboard")).content.decode()
    assert "Call-center reports" in staff_page
    assert "Log a contact" not in alice_client.get(reverse("dashboard")).content.decode()


def test_demo_seed_is_idempotent(db):
    from django.core.management import call_command

    call_command("seed_demo", "--quiet-logins")
    contacts, callers = Contact.objects.count(), CallerCustomer.objects.count()
    assert contacts >= 2000 and callers >= 100
    assert Contact.objects.filter(reason__label_en="Complaint", notes__startswith="Complaint Details: ").exists()
    call_command("seed_demo", "--quiet-logins")
    assert (Contact.objects.count(), CallerCustomer.objects.count()) == (contacts, callers)
