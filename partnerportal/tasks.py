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


@shared_task(bind=True, acks_late=True)
def send_mail_batch(self, mail_ids: list[int]) -> dict[str, int]:
    """Send mail queued in bulk, one after the other (each claimed like a single send). The
    first mail the server defers goes to its own send_mail task, which retries it with
    backoff, and the rest of the batch goes back to the broker: a refusing or silent server
    costs this task one attempt, never one per mail."""
    outcomes: dict[str, int] = {}
    for done, mail_id in enumerate(mail_ids):
        outcome = mail.mail_send(mail_id=mail_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome == "retry":
            if not self.request.is_eager:  # in-process, the sweep takes the rest later
                send_mail.apply_async((mail_id,), countdown=retry_countdown(0))
                mail.mail_enqueue(mail_ids[done + 1 :])
            break
    return outcomes


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
