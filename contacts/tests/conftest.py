import pytest

from conftest import PASSWORD
from contacts.models import CallerCustomer, ContactReason
from partnerportal.models import User


def reason_at(*path):
    reason = None
    for label in path:
        reason = ContactReason.objects.get(parent=reason, label_en=label)
    return reason


@pytest.fixture
def other_agent(db):
    return User.objects.create_user(email="agent2@vendor.example", password=PASSWORD, is_call_center_agent=True)


@pytest.fixture
def caller(db):
    return CallerCustomer.objects.create(
        name="Anna Ivanova", email="anna@example.com", phone="+7 495 555-01-00", phone_digits="74955550100"
    )


@pytest.fixture
def lost_key(db):
    return reason_at("Post-Sales Inquiry", "Product Key/PID", "Lost")


@pytest.fixture
def complaint(db):
    return reason_at("Feedback", "Complaint")


@pytest.fixture
def supervisor_group(db):
    from partnerportal.demo import _programme_staff_group

    return _programme_staff_group()


@pytest.fixture(autouse=True)
def fresh_taxonomy_cache():
    # Each test's transaction is rolled back: never reuse a tree built inside another one.
    from contacts.taxonomy import invalidate

    invalidate()
    yield
    invalidate()
