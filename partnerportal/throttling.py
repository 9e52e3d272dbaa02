"""Who the client is, for login throttling and per-client limits on the public pages, and
what a client over its limit sees.

Behind PROXY_COUNT reverse proxies the client's address is the one the outermost trusted
proxy recorded: the PROXY_COUNT-th entry from the right of X-Forwarded-For (anything to its
left was sent by the client and may be forged). With no proxy it is REMOTE_ADDR. Both
django-axes (AXES_CLIENT_IP_CALLABLE) and django-ratelimit (RATELIMIT_IP_META_KEY) use it, so
behind a load balancer every visitor has a budget of their own instead of sharing the
balancer's.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.shortcuts import render

RETRY_AFTER_SECONDS = 60
# The counting key of a request without an address; a key, never an address to bind to.
UNKNOWN = "0.0.0.0"  # noqa: S104  # nosec B104


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_ip(request) -> str:
    remote = (request.META.get("REMOTE_ADDR") or "").strip()
    proxies = getattr(settings, "PROXY_COUNT", 0)
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies and _valid(forwarded[-proxies]):
            return forwarded[-proxies]
    return remote if _valid(remote) else UNKNOWN


def too_many_requests(request, exception=None):
    """RATELIMIT_VIEW: what a rate-limited request gets instead of the page."""
    response = render(request, "429.html", status=429)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
