from django import template

register = template.Library()


@register.filter
def path_of(tree, reason_id):
    """The reason's path from the in-memory tree passed by the view (no query per row)."""
    node = tree.get(reason_id) if tree is not None else None
    return node.path_display if node else ""


@register.filter
def node_of(tree, reason_id):
    return tree.get(reason_id) if tree is not None else None
