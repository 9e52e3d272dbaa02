from celery import shared_task

from . import services


@shared_task
def expire_leads() -> int:
    return services.leads_expire()


@shared_task
def send_lead_nudges() -> int:
    return services.leads_send_nudges()
