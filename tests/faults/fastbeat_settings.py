"""The real settings with the lead expiry, survey reminders and collections due every second,
for the fault test that runs two beat schedulers at once."""

from partnerportal.settings import *  # noqa: F403

CELERY_BEAT_SCHEDULE = {
    "expire-leads": {"task": "leads.tasks.expire_leads", "schedule": 1.0},
    "csat-send-due-reminders": {"task": "csat.tasks.send_due_reminders", "schedule": 1.0},
    "run-collections": {"task": "support.tasks.run_collections", "schedule": 1.0},
}
