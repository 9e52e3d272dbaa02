import pytest

from partnerportal.errors import DomainError
from support import services
from support.models import Escalation, EscalationCategory, SupportRequest

TECHNICAL = [c for c in EscalationCategory.values if c != "billing_dispute"]


def checked(req, actor):
    return services.request_check_health(request=req, actor=actor)


@pytest.mark.parametrize("category", TECHNICAL)
def test_each_technical_category_may_be_escalated(support_request, alice, category):
    checked(support_request, alice)  # org_a is Gold: partner cloud support
    esc = services.escalation_create(
        request=support_request,
        actor=alice,
        category=category,
        vehicle="partner_cloud",
        explanation="Diagnosed; vendor side",
    )
    assert esc.target == Escalation.Target.VENDOR and esc.status == "open" and esc.escalated_by == alice
    support_request.refresh_from_db()
    assert support_request.status == SupportRequest.Status.ESCALATED


def test_billing_dispute_goes_through_commercial_support(support_request, alice):
    checked(support_request, alice)
    esc = services.escalation_create(
        request=support_request,
        actor=alice,
        category="billing_dispute",
        vehicle="commercial",
        explanation="Double charge",
        vendor_ticket_number="C-1",
    )
    assert esc.vehicle == "commercial" and esc.vendor_ticket_number == "C-1"


@pytest.mark.parametrize("category", ["how_to", "configuration", "subscription_change", "other"])
def test_anything_else_is_refused_with_the_reason(support_request, alice, category):
    checked(support_request, alice)
    with pytest.raises(DomainError) as exc:
        services.escalation_create(
            request=support_request,
            actor=alice,
            category=category,
            vehicle="partner_cloud",
            explanation="How do I add a shared mailbox?",
        )
    assert exc.value.field == "category"
    assert Escalation.objects.count() == 0


def test_how_to_question_refusal_says_why(support_request, alice):
    checked(support_request, alice)
    with pytest.raises(DomainError) as exc:
        services.escalation_create(
            request=support_request, actor=alice, category="how_to", vehicle="commercial", explanation="?"
        )
    assert "How-to" in exc.value.message


def test_service_health_check_is_enforced(support_request, alice):
    with pytest.raises(DomainError) as exc:
        services.escalation_create(
            request=support_request,
            actor=alice,
            category="service_unavailable",
            vehicle="partner_cloud",
            explanation="Down",
        )
    assert "service health" in exc.value.message
    support_request.refresh_from_db()
    assert support_request.status == "new"


def eligible(org):
    return {v["vehicle"] for v in services.escalation_vehicles(org=org) if v["eligible"]}


@pytest.mark.parametrize("level,expected", [("gold", True), ("silver", True), ("smb", False), ("none", False)])
def test_partner_cloud_support_only_for_gold_or_silver(csp_a, level, expected):
    csp_a.membership_level = level
    assert ("partner_cloud" in eligible(csp_a)) is expected
    assert "commercial" in eligible(csp_a)  # commercial for every CSP partner


@pytest.mark.parametrize("contract,vehicle", [("premier", "premier"), ("advanced", "advanced")])
def test_paid_contracts(csp_a, contract, vehicle):
    assert vehicle not in eligible(csp_a)
    csp_a.support_contract = contract
    assert eligible(csp_a) >= {vehicle, "commercial"}
    other = "advanced" if vehicle == "premier" else "premier"
    assert other not in eligible(csp_a)


def test_ineligible_vehicle_refused(support_request, alice, csp_a):
    checked(support_request, alice)
    with pytest.raises(DomainError) as exc:
        services.escalation_create(
            request=support_request, actor=alice, category="defect", vehicle="premier", explanation="x"
        )
    assert exc.value.field == "vehicle"


def test_commercial_vehicle_is_not_for_technical_faults(support_request, alice):
    checked(support_request, alice)
    with pytest.raises(DomainError):
        services.escalation_create(
            request=support_request, actor=alice, category="defect", vehicle="commercial", explanation="x"
        )


def test_indirect_reseller_escalates_to_its_provider(reseller_pair):
    from conftest import make_member
    from partnerportal.models import Role

    provider, reseller = reseller_pair
    leyla = make_member("leyla@r.example", reseller, [Role.PARTNER_ADMIN])
    assert eligible(reseller) == {"indirect_provider"}
    customer = services.customer_create(
        org=reseller,
        actor=leyla,
        company="Kafe",
        tenant_domain="kafe.onmicrosoft.com",
        country="TR",
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
        description="All VMs down",
    )
    checked(req, leyla)
    with pytest.raises(DomainError):
        services.escalation_create(
            request=req, actor=leyla, category="service_unavailable", vehicle="partner_cloud", explanation="x"
        )
    esc = services.escalation_create(
        request=req, actor=leyla, category="service_unavailable", vehicle="indirect_provider", explanation="Region down"
    )
    assert esc.target == "indirect_provider" and esc.provider_org == provider


def test_non_csp_org_cannot_escalate(org_b):
    assert eligible(org_b) == set()


def test_finishing_escalation_returns_request_to_partner(support_request, alice):
    checked(support_request, alice)
    esc = services.escalation_create(
        request=support_request, actor=alice, category="defect", vehicle="partner_cloud", explanation="x"
    )
    services.escalation_update(escalation=esc, actor=alice, status="resolved", vendor_ticket_number="SR-9")
    support_request.refresh_from_db()
    assert support_request.status == "diagnosing"
    with pytest.raises(DomainError):
        services.escalation_update(escalation=esc, actor=alice, status="open", vendor_ticket_number="")


def test_a_second_escalation_is_refused_while_one_is_open(support_request, alice):
    checked(support_request, alice)
    esc = services.escalation_create(
        request=support_request, actor=alice, category="defect", vehicle="partner_cloud", explanation="x"
    )
    # The agent goes on with the customer while the vendor works on it.
    services.request_change_status(request=support_request, status="waiting_on_customer", actor=alice)
    with pytest.raises(DomainError) as exc:
        services.escalation_create(
            request=support_request, actor=alice, category="defect", vehicle="partner_cloud", explanation="again"
        )
    assert "already has an open escalation" in exc.value.message
    assert support_request.escalations.count() == 1
    services.escalation_update(escalation=esc, actor=alice, status="resolved", vendor_ticket_number="SR-1")
    services.escalation_create(
        request=support_request, actor=alice, category="defect", vehicle="partner_cloud", explanation="it is back"
    )
    assert support_request.escalations.count() == 2


def test_a_known_incident_is_not_escalated_but_a_billing_dispute_still_is(support_request, alice):
    from support.models import ServiceHealthIncident

    incident = ServiceHealthIncident.objects.create(
        service="exchange_online", title="Mail delays in Europe", public_description="Delays", regions=["europe"]
    )
    services.request_check_health(request=support_request, actor=alice, incident=incident)
    with pytest.raises(DomainError) as exc:
        services.escalation_create(
            request=support_request,
            actor=alice,
            category="service_unavailable",
            vehicle="partner_cloud",
            explanation="x",
        )
    assert exc.value.field == "category" and "Mail delays in Europe" in exc.value.message
    services.escalation_create(
        request=support_request, actor=alice, category="billing_dispute", vehicle="commercial", explanation="Credit"
    )
    support_request.refresh_from_db()
    assert support_request.status == SupportRequest.Status.ESCALATED


def test_once_the_incident_is_resolved_the_request_can_be_escalated(support_request, alice):
    from support.models import ServiceHealthIncident

    incident = ServiceHealthIncident.objects.create(
        service="exchange_online", title="Mail delays", public_description="Delays", regions=["europe"]
    )
    services.request_check_health(request=support_request, actor=alice, incident=incident)
    incident.status = ServiceHealthIncident.Status.RESOLVED
    services.incident_save(incident=incident, actor=alice, created=False)
    services.request_check_health(request=support_request, actor=alice)  # checked again: nothing active
    support_request.refresh_from_db()
    assert support_request.incident is None
    services.escalation_create(
        request=support_request, actor=alice, category="defect", vehicle="partner_cloud", explanation="Still broken"
    )
