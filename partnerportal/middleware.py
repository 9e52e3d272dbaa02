from .tenancy import SESSION_KEY


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
