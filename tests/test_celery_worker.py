"""End to end with a real Celery worker process and the real Redis broker."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection, transaction

from partnerportal.celery import app
from partnerportal.mail import mail_queue
from partnerportal.models import OutgoingMail

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(redis_url, settings):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    old = dict(app.conf)
    app.conf.update(task_always_eager=False, broker_url=redis_url, task_default_queue=queue)
    _reset_producer()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield redis_url, queue
    app.conf.update(
        task_always_eager=old["task_always_eager"],
        broker_url=old["broker_url"],
        task_default_queue=old["task_default_queue"],
    )
    _reset_producer()
    redis.Redis.from_url(redis_url).delete(queue)


def _reset_producer():
    # Earlier in-process tasks may have built the publisher for another broker and queue.
    app._pool = None
    app.__dict__.pop("amqp", None)
    app.__dict__.pop("producer_pool", None)


def _queued(redis_url, queue) -> int:
    return redis.Redis.from_url(redis_url).llen(queue)


def _queue_mail():
    return mail_queue(
        to="worker@example.com",
        template="registration/email/password_reset",
        context={"reset_url": "http://x", "user": None},
    )


def test_a_rolled_back_transaction_enqueues_nothing(broker):
    redis_url, queue = broker
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue_mail()
        raise RuntimeError("rolled back")
    assert _queued(redis_url, queue) == 0
    with transaction.atomic():
        _queue_mail()
        assert _queued(redis_url, queue) == 0  # not before the commit
    assert _queued(redis_url, queue) == 1


def test_a_real_worker_sends_the_mail_after_commit(broker):
    redis_url, queue = broker
    with transaction.atomic():
        mail = _queue_mail()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partnerportal.settings",
        "DEBUG": "true",
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_URL": "dummymail://",
        "DATABASE_URL": f"postgres://{db['USER']}@{_host(db)}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "partnerportal",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            mail.refresh_from_db()
            if mail.status == OutgoingMail.Status.SENT:
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert mail.status == OutgoingMail.Status.SENT, output
    assert mail.attempts == 1


def _host(db):
    from urllib.parse import quote

    host = db["HOST"] or "127.0.0.1"
    return quote(host, safe="") if host.startswith("/") else host
