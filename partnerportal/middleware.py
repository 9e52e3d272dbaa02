import time

from django.conf import settings

from .tenancy import SESSION_KEY

REFRESHED_KEY = "_refreshed"


class SlidingSessionMiddleware:
    """Keeps a signed-in session alive for SESSION_COOKIE_AGE after the last request without
    writing it on every request: the session (and its cookie) is saved again only when the last
    save is more than SESSION_REFRESH_INTERVAL seconds old. An idle session therefore ends
    between SESSION_COOKIE_AGE - SESSION_REFRESH_INTERVAL and SESSION_COOKIE_AGE after the
    last request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = request.session
        if not session.is_empty() and not session.modified:
            now = int(time.time())
            if now - session.get(REFRESHED_KEY, 0) >= settings.SESSION_REFRESH_INTERVAL:
                session[REFRESHED_KEY] = now  # marks the session modified: saved with a new expiry
        elif session.modified and not session.is_empty():
            session[REFRESHED_KEY] = int(time.time())
        return response


class CurrentOrganisationMiddleware:
    """Sets request.user_memberships, request.membership and request.org from the session
    (the organisation the person chose last), falling back to their first organisation.
    One query, and none for anonymous visitors (public survey, directory, health check)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .selectors import memberships_for_user

        request.user_memberships = []
        request.membership = None
        request.org = None
        if request.user.is_authenticated:
            memberships = list(memberships_for_user(request.user))
            request.user_memberships = memberships
            if memberships:
                wanted = request.session.get(SESSION_KEY)
                current = next((m for m in memberships if m.org_id == wanted), memberships[0])
                request.membership = current
                request.org = current.org
        return self.get_response(request)
