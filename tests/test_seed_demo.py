from django.apps import apps
from django.core.management import call_command

from partnerportal.models import Location, Membership, Organisation, User


def _counts():
    return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label != "sessions"}


def test_seed_demo_covers_the_programme_and_is_idempotent(db, capsys):
    call_command("seed_demo")
    first = _counts()
    output = capsys.readouterr().out
    call_command("seed_demo", "--quiet-logins")
    assert _counts() == first, "running seed_demo twice must not duplicate anything"
    assert "portal-demo-2026" in output and "agent@vendor.example" in output
    levels = set(Organisation.objects.values_list("membership_level", flat=True))
    assert {"gold", "silver", "smb", "none"} <= levels
    assert Organisation.objects.filter(competencies__contains=["learning"]).exists()
    reseller = Organisation.objects.get(csp_relationship="indirect_reseller")
    assert reseller.indirect_provider.csp_relationship == "indirect_provider"
    assert Organisation.objects.filter(parent_company__name="Tailspin Group").count() == 2
    assert Location.objects.filter(org__partner_id="PP-100001").count() == 2
    roles = {r for rs in Membership.objects.values_list("roles", flat=True) for r in rs}
    assert {
        "partner_admin",
        "survey_admin",
        "referral_admin",
        "support_agent",
        "billing_admin",
        "sales_agent",
        "user_admin",
    } <= roles
    assert User.objects.filter(is_call_center_agent=True).exists()
    assert User.objects.filter(is_programme_staff=True, is_superuser=False).exists()


def test_seed_demo_shows_support_and_collections_at_every_stage(db):
    from support.models import CollectionEvent, Invoice, ServiceHealthIncident, Subscription, SupportRequest

    call_command("seed_demo", "--quiet-logins")
    assert set(SupportRequest.objects.values_list("status", flat=True)) == set(SupportRequest.Status.values)
    assert any(i.is_active for i in ServiceHealthIncident.objects.all())
    assert set(Invoice.objects.values_list("status", flat=True)) == set(Invoice.Status.values)
    assert set(CollectionEvent.objects.values_list("kind", flat=True)) == set(CollectionEvent.Kind.values)
    assert Subscription.objects.filter(status="suspended", suspended_by_invoice__status="overdue").exists()
    # No demo request is escalated past an active incident it is linked to: the rules forbid it.
    assert not SupportRequest.objects.filter(status="escalated", incident__isnull=False).exists()
