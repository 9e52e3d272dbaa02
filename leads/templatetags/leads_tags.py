from datetime import timedelta

from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def duration_short(value: timedelta | None) -> str:
    """A response time as people say it: '5 hours', '2 days'."""
    if value is None:
        return ""
    hours = int(value.total_seconds() // 3600)
    if hours < 1:
        minutes = max(1, int(value.total_seconds() // 60))
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    if hours < 48:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    days = round(hours / 24)
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
