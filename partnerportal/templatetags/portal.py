from functools import cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from partnerportal.audit import describe

register = template.Library()
SELECTED = mark_safe(" selected")  # noqa: S308 - a constant attribute


@cache
def _language_options(current: str, languages: tuple) -> str:
    # settings.LANGUAGES names each language in itself, so the list reads the same whatever the
    # page's language; only the selected option differs. Built once per language, not per page.
    return format_html_join(
        "",
        '<option value="{}" lang="{}"{}>{}</option>',
        ((code, code, SELECTED if code == current else "", name) for code, name in languages),
    )


@register.simple_tag
def language_options():
    """The <option>s of the language switcher, the current language selected."""
    return _language_options(get_language(), tuple(settings.LANGUAGES))


@cache
def _language_names(languages: tuple) -> dict:
    return dict(languages)


@register.filter
def language_name(code: str) -> str:
    """A language's own name as the portal lists it (settings.LANGUAGES); the code if unknown."""
    return _language_names(tuple(settings.LANGUAGES)).get(code, code)


@register.filter
def audit_line(entry):
    """An audit entry as a sentence and readable details (partnerportal.audit.describe)."""
    return describe(entry)


@cache
def _pk_url_parts(name: str, prefix: str) -> tuple[str, str]:
    sentinel = 9_876_543_210
    url = reverse(name, args=[sentinel])
    before, after = url.split(str(sentinel))
    return before, after


@register.filter
def pk_url(pk, name: str) -> str:
    """{{ obj.pk|pk_url:"app:view" }}: reverse() of a URL whose only argument is an integer pk,
    resolved once per URL name instead of once per row of a list."""
    before, after = _pk_url_parts(name, get_script_prefix())
    return f"{before}{int(pk)}{after}"
