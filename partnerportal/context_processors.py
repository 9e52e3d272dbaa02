from django.conf import settings

from .registry import nav_items_for


def portal(request):
    return {
        "portal_name": settings.PORTAL_NAME,
        "nav_items": nav_items_for(request) if hasattr(request, "user") else [],
        "current_org": getattr(request, "org", None),
        "current_membership": getattr(request, "membership", None),
        "user_memberships": getattr(request, "user_memberships", []),
    }
