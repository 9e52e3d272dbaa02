"""Every URL pattern of the portal, core and feature apps, for the security tests."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Django's own admin guards itself (staff login); the walk leaves it to its own test.
SKIP_NAMESPACES = {"admin"}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    route: str  # "leads/<int:pk>/accept/"
    converters: tuple[str, ...]  # the names of the captured arguments
    callback: object
    default_kwargs: tuple = ()

    @property
    def view(self):
        """The function that runs, unwrapped from class-based views."""
        return getattr(self.callback, "view_class", self.callback)

    def attr(self, name: str, default=None):
        return getattr(self.callback, name, default)


def _walk(patterns, prefix: str, namespace: str, converters: tuple[str, ...]):
    for p in patterns:
        own = tuple(getattr(p.pattern, "converters", {}) or ())
        if not own and p.pattern.regex.groups:
            own = tuple(p.pattern.regex.groupindex) or ("<regex>",)
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            if ns.split(":")[0] in SKIP_NAMESPACES:
                continue
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns, converters + own)
        elif isinstance(p, URLPattern) and p.name:
            name = f"{namespace}:{p.name}" if namespace else p.name
            yield Route(name, prefix + str(p.pattern), converters + own, p.callback, tuple(p.default_args.items()))


def routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", "", ()))
