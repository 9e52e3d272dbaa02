from celery import shared_task
from django.conf import settings

from . import mail, services


@shared_task(bind=True, max_retries=None, acks_late=True)
def send_mail(self, mail_id: int) -> str:
    outcome = mail.mail_send(mail_id=mail_id)
    if outcome == "retry" and not self.request.is_eager:
        # In-process (no broker) the row stays queued for the send_queued_mail sweep.
        raise self.retry(countdown=retry_countdown(self.request.retries))
    return outcome


def retry_countdown(retries: int) -> float:
    """Exponential backoff from MAIL_RETRY_BACKOFF seconds, capped at MAIL_RETRY_BACKOFF_MAX:
    within the claim lease (the sweep leaves a mail to its own retry) and far below the
    broker's visibility timeout (a retry waiting in a worker is never handed to another)."""
    return min(settings.MAIL_RETRY_BACKOFF * 2 ** min(retries, 16), settings.MAIL_RETRY_BACKOFF_MAX)


@shared_task
def send_queued_mail() -> int:
    return mail.mail_requeue_pending()


@shared_task
def expire_invitations() -> int:
    return services.invitations_expire()
