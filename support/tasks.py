from celery import shared_task

from . import services


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def run_collections() -> dict:
    return services.collections_run()
