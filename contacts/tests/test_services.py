import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from contacts import services
from contacts.models import ActionTaken, CallerCustomer, Contact, Team
from partnerportal.audit import audit_history
from partnerportal.errors import DomainError

from .conftest import reason_at


def test_a_contact_ends_on_a_leaf(agent):
    key = reason_at("Post-Sales Inquiry", "Product Key/PID")
    with pytest.raises(DomainError) as exc:
        services.contact_create(agent=agent, reason=key, action_taken=ActionTaken.RESOLVED)
    assert exc.value.field == "reason"
    assert "Post-Sales Inquiry › Product Key/PID" in exc.value.message
    assert "Invalid, Lost, Other" in exc.value.message
    assert not Contact.objects.exists()


def test_a_leaf_contact_stores_its_ancestors(agent, lost_key):
    contact = services.contact_create(agent=agent, reason=lost_key, action_taken=ActionTaken.RESOLVED)
    assert contact.reason_l1.label_en == "Post-Sales Inquiry"
    assert contact.reason_l2.label_en == "Product Key/PID"
    assert contact.status == Contact.Status.CLOSED
    sales_lead = services.contact_create(
        agent=agent, reason=reason_at("Sales Lead"), action_taken="referred", referred_team=Team.ORDER_DESK
    )
    assert sales_lead.reason_l1_id == sales_lead.reason_id and sales_lead.reason_l2_id is None
    wrong = services.contact_create(
        agent=agent, reason=reason_at("Disconnect/Hung-up", "Wrong Number"), action_taken="no_action"
    )
    assert wrong.reason_l2_id == wrong.reason_id


def test_a_complaint_alone_is_recorded_closed_with_its_details(agent, complaint):
    contact = services.contact_create(
        agent=agent,
        reason=complaint,
        action_taken="",
        complaint_description="The customer waited 40 minutes on hold twice.",
        interaction_type="inbound_call",
    )
    assert contact.notes == "Complaint Details: The customer waited 40 minutes on hold twice."
    assert contact.status == Contact.Status.CLOSED
    assert contact.action_taken == ActionTaken.FEEDBACK_RECORDED


def test_a_complaint_where_the_agent_also_solved_something(agent, complaint):
    """The manual: Action Taken follows the call's result, but the notes still carry
    "Complaint Details: <description>"."""
    contact = services.contact_create(
        agent=agent,
        reason=complaint,
        action_taken=ActionTaken.TRANSFERRED,
        referred_team=Team.TECHNICAL_SUPPORT,
        complaint_description="Activation failed three times and nobody called back.",
        notes="Transferred to technical support for the activation.",
    )
    assert contact.action_taken == ActionTaken.TRANSFERRED
    assert contact.notes.startswith("Complaint Details: Activation failed three times and nobody called back.")
    assert contact.notes.endswith("Transferred to technical support for the activation.")
    # Even an escalation leaves the complaint itself closed.
    escalated = services.contact_create(
        agent=agent, reason=complaint, action_taken=ActionTaken.ESCALATED, complaint_description="Rude reply."
    )
    assert escalated.status == Contact.Status.CLOSED


def test_a_complaint_needs_its_description(agent, complaint):
    with pytest.raises(DomainError) as exc:
        services.contact_create(agent=agent, reason=complaint, action_taken="", notes="angry")
    assert exc.value.field == "complaint_description"
    assert not Contact.objects.exists()


def test_praise_and_suggestion_have_no_complaint_prefix(agent):
    praise = services.contact_create(
        agent=agent, reason=reason_at("Feedback", "Praise"), action_taken="", notes="Loved the upgrade assistant."
    )
    assert praise.notes == "Loved the upgrade assistant."
    assert praise.status == Contact.Status.CLOSED and praise.action_taken == ActionTaken.FEEDBACK_RECORDED
    suggestion = services.contact_create(
        agent=agent,
        reason=reason_at("Feedback", "Suggestion"),
        action_taken=ActionTaken.INFORMATION_PROVIDED,
        complaint_description="ignored here",
        notes="Wants a dark mode.",
    )
    assert suggestion.notes == "Wants a dark mode."


def test_referral_needs_a_target_and_only_one(agent, lost_key, org_a):
    with pytest.raises(DomainError, match="which team or partner"):
        services.contact_create(agent=agent, reason=lost_key, action_taken=ActionTaken.REFERRED)
    with pytest.raises(DomainError, match="not both"):
        services.contact_create(
            agent=agent,
            reason=lost_key,
            action_taken=ActionTaken.REFERRED,
            referred_team=Team.LICENSING,
            referred_org=org_a,
        )
    contact = services.contact_create(
        agent=agent, reason=lost_key, action_taken=ActionTaken.REFERRED, referred_org=org_a
    )
    assert contact.referred_org == org_a


def test_callback_needs_a_follow_up_date_and_stays_open(agent, lost_key):
    with time_machine.travel(dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC), tick=False):
        with pytest.raises(DomainError) as exc:
            services.contact_create(agent=agent, reason=lost_key, action_taken=ActionTaken.CALLBACK_SCHEDULED)
        assert exc.value.field == "follow_up_date"
        with pytest.raises(DomainError, match="past"):
            services.contact_create(
                agent=agent, reason=lost_key, action_taken="callback_scheduled", follow_up_date=dt.date(2026, 3, 9)
            )
        # Today is the earliest follow-up date.
        contact = services.contact_create(
            agent=agent, reason=lost_key, action_taken="callback_scheduled", follow_up_date=timezone.localdate()
        )
    assert contact.status == Contact.Status.OPEN
    services.contact_close(actor=agent, contact=contact)
    contact.refresh_from_db()
    assert contact.status == Contact.Status.CLOSED
    with pytest.raises(DomainError, match="already closed"):
        services.contact_close(actor=agent, contact=contact)


def test_another_agent_cannot_close_my_contact(agent, other_agent, lost_key):
    contact = services.contact_create(agent=agent, reason=lost_key, action_taken="escalated", referred_team="")
    with pytest.raises(DomainError):
        services.contact_close(actor=other_agent, contact=contact)


def test_retired_reasons_cannot_be_chosen(agent, lost_key):
    services.contact_reason_retire(actor=agent, reason=lost_key)
    with pytest.raises(DomainError, match="retired"):
        services.contact_create(agent=agent, reason=lost_key, action_taken="resolved")


def test_a_parent_whose_children_are_all_retired_becomes_a_leaf(agent):
    key = reason_at("Post-Sales Inquiry", "Product Key/PID")
    for child in key.children.all():
        services.contact_reason_retire(actor=agent, reason=child)
    contact = services.contact_create(agent=agent, reason=key, action_taken="resolved")
    assert contact.reason_l2_id == key.pk


def test_a_new_caller_is_registered_on_the_spot(agent, lost_key):
    contact = services.contact_create(
        agent=agent,
        reason=lost_key,
        action_taken="resolved",
        new_caller={"name": "Boris Petrov", "email": "", "phone": "+7 (812) 555-22-33", "company": "Petrov LLC"},
    )
    assert contact.caller.phone_digits == "78125552233"
    with pytest.raises(DomainError, match="e-mail address or a phone"):
        services.contact_create(
            agent=agent,
            reason=lost_key,
            action_taken="resolved",
            new_caller={"name": "No Way", "email": "", "phone": ""},
        )
    assert CallerCustomer.objects.count() == 1


def test_supervisor_correction_is_audited_before_and_after(agent, programme_staff, lost_key, complaint):
    contact = services.contact_create(agent=agent, reason=lost_key, action_taken="resolved", notes="Sent a new key.")
    services.contact_correct(
        actor=programme_staff,
        contact=contact,
        changes={
            "reason": reason_at("Post-Sales Inquiry", "Product Key/PID", "Invalid"),
            "action_taken": "information_provided",
        },
        comment="The key was invalid, not lost.",
    )
    contact.refresh_from_db()
    assert contact.reason.label_en == "Invalid" and contact.corrected_at is not None
    entry = audit_history(contact).filter(action="contact.corrected").get()
    assert entry.details["changes"]["reason"] == {
        "before": "Post-Sales Inquiry › Product Key/PID › Lost",
        "after": "Post-Sales Inquiry › Product Key/PID › Invalid",
    }
    assert entry.details["changes"]["action_taken"] == {"before": "resolved", "after": "information_provided"}
    assert entry.details["comment"] == "The key was invalid, not lost."
    assert entry.actor == programme_staff
    # Corrected into a complaint, the notes must follow the complaint rule.
    with pytest.raises(DomainError, match="Complaint Details"):
        services.contact_correct(actor=programme_staff, contact=contact, changes={"reason": complaint}, comment="x")


def test_agents_cannot_correct(agent, lost_key):
    contact = services.contact_create(agent=agent, reason=lost_key, action_taken="resolved")
    with pytest.raises(DomainError, match="supervisors"):
        services.contact_correct(actor=agent, contact=contact, changes={"notes": "x"}, comment="x")


def test_reason_admin_service_limits_levels_and_labels(programme_staff, lost_key):
    with pytest.raises(DomainError, match="at most 3 levels"):
        services.contact_reason_create(actor=programme_staff, parent=lost_key, label_en="Deeper")
    with pytest.raises(DomainError, match="already exists"):
        services.contact_reason_create(actor=programme_staff, parent=lost_key.parent, label_en="lost")
    renamed = services.contact_reason_update(actor=programme_staff, reason=lost_key, label_en="Lost or stolen")
    assert renamed.label_en == "Lost or stolen"
    assert audit_history(renamed).filter(action="contact_reason.updated").exists()
