from celery import shared_task

from . import mail, services


@shared_task(bind=True, max_retries=None, acks_late=True)
def send_mail(self, mail_id: int) -> str:
    outcome = mail.mail_send(mail_id=mail_id)
    if outcome == "retry" and not self.request.is_eager:
        # In-process (no broker) the row stays queued for the send_queued_mail sweep.
        # Exponential backoff, capped far below the broker's visibility timeout (1 h).
        countdown = min(30 * 2 ** min(self.request.retries, 5), 900)
        raise self.retry(countdown=countdown)
    return outcome


@shared_task
def send_queued_mail() -> int:
    return mail.mail_requeue_pending()


@shared_task
def expire_invitations() -> int:
    return services.invitations_expire()
