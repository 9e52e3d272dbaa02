"""The request's history: readable entries, its escalations' entries included, and a
query count that does not grow with the entries."""

from django.urls import reverse

from conftest import client_for
from support import services


def _escalate(support_request, actor):
    services.request_check_health(request=support_request, actor=actor)
    return services.escalation_create(
        request=support_request, actor=actor, category="defect", vehicle="partner_cloud", explanation="x"
    )


def test_request_history_includes_its_escalations(sven, support_request):
    client = client_for(sven)
    url = reverse("support:request_detail", args=[support_request.pk])
    page = client.get(url).content.decode()
    assert "Support request opened" in page and "support.request_created" not in page
    escalation = _escalate(support_request, sven)
    services.escalation_update(escalation=escalation, actor=sven, status="resolved", vendor_ticket_number="T-1")
    page = client.get(url).content.decode()
    assert "Escalated" in page and "Defect affecting how a service looks or works" in page
    assert "Escalation updated" in page and "Open → Resolved" in page
    assert "support.escalat" not in page


def test_request_history_queries_do_not_grow(sven, support_request, django_assert_max_num_queries):
    client = client_for(sven)
    url = reverse("support:request_detail", args=[support_request.pk])
    escalation = _escalate(support_request, sven)
    client.get(url)
    with django_assert_max_num_queries(40) as before:
        client.get(url)
    for status in ("in_progress", "resolved"):
        services.escalation_update(escalation=escalation, actor=sven, status=status, vendor_ticket_number="T-1")
    for _ in range(5):
        services.request_note(request=support_request, actor=sven, body="Checked the logs.")
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(url)
