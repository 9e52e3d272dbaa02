"""Thin periodic tasks: each calls the service of the same name; all are idempotent."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def send_due_invitations(org_id: int | None = None) -> int:
    return services.invitations_send_due(org_id=org_id)


@shared_task(acks_late=True)
def send_due_reminders() -> int:
    return services.reminders_send_due()


@shared_task(acks_late=True)
def send_monthly_reports(org_id: int | None = None) -> int:
    return services.monthly_reports_send(org_id=org_id)


@shared_task(acks_late=True)
def refresh_compliance() -> dict:
    return services.compliance_refresh()


@shared_task(acks_late=True)
def refresh_benchmark() -> int:
    return services.benchmark_refresh().partners
