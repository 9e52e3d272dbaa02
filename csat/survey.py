"""The core questions: the same for every partner, in every language."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class CoreQuestion:
    field: str
    text: str
    low: int
    high: int
    low_label: str
    high_label: str


CORE_QUESTIONS = [
    CoreQuestion(
        "satisfaction",
        _("Overall, how satisfied are you with this partner?"),
        1,
        5,
        _("Very dissatisfied"),
        _("Very satisfied"),
    ),
    CoreQuestion(
        "keep_business",
        _("How likely are you to continue doing business with this partner?"),
        1,
        5,
        _("Not at all likely"),
        _("Extremely likely"),
    ),
    CoreQuestion(
        "engage_again",
        _("How likely are you to engage this partner again for a future project?"),
        1,
        5,
        _("Not at all likely"),
        _("Extremely likely"),
    ),
    CoreQuestion(
        "recommend",
        _("How likely are you to recommend this partner to a colleague or friend?"),
        0,
        10,
        _("Not at all likely"),
        _("Extremely likely"),
    ),
]
CORE_FIELDS = [q.field for q in CORE_QUESTIONS]
CORE_BY_FIELD = {q.field: q for q in CORE_QUESTIONS}

# Short column titles for charts and downloads.
CORE_SHORT = {
    "satisfaction": _("Satisfaction"),
    "keep_business": _("Keep doing business"),
    "engage_again": _("Engage again"),
    "recommend": _("Recommend"),
}
