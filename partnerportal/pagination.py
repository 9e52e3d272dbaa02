"""Keyset pagination: constant time on page 1 and on page 20,000, and no COUNT(*).

Lists order by a unique tuple (e.g. ("-received_at", "-id")). The link to the next page
carries the last row's values (`?after=`), the previous page the first row's (`?before=`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Expression, F, Q, QuerySet, Value

DEFAULT_PER_PAGE = 50


def _encode(values: list) -> str:
    raw = json.dumps([v.isoformat() if hasattr(v, "isoformat") else v for v in values], default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(token: str) -> list | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError):
        return None
    return values if isinstance(values, list) else None


class _RowCompare(Expression):
    """`(a, b) < (x, y)` in SQL: one row-value comparison, which PostgreSQL turns into a
    seek on a composite index, where the equivalent `a < x OR (a = x AND b < y)` makes it
    walk (and filter) every row before the cursor."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, columns: list, operator: str, values: list):
        super().__init__()
        self.columns, self.operator, self.values = list(columns), operator, list(values)

    def get_source_expressions(self):
        return [*self.columns, *self.values]

    def set_source_expressions(self, exprs):
        n = len(self.columns)
        self.columns, self.values = list(exprs[:n]), list(exprs[n:])

    def as_sql(self, compiler, connection):
        sides = []
        params: list = []
        for side in (self.columns, self.values):
            parts = []
            for expr in side:
                sql, p = compiler.compile(expr)
                parts.append(sql)
                params.extend(p)
            sides.append(f"({', '.join(parts)})")
        return f"{sides[0]} {self.operator} {sides[1]}", params


def _after_q(ordering: tuple[str, ...], values: list, *, reverse: bool, fields: list) -> Q | _RowCompare:
    """Rows strictly after `values` in `ordering` (or before, if reverse)."""
    directions = {key.startswith("-") for key in ordering}
    if len(directions) == 1:
        # Every key runs the same way: one row-value comparison.
        desc = directions.pop()
        return _RowCompare(
            [F(key.lstrip("-")) for key in ordering],
            "<" if desc != reverse else ">",
            [Value(value, output_field=field) for value, field in zip(values, fields, strict=True)],
        )
    q = Q()
    for i, key in enumerate(ordering):
        desc = key.startswith("-")
        name = key.lstrip("-")
        lookup = "lt" if desc != reverse else "gt"
        step = Q(**{f"{name}__{lookup}": values[i]})
        for prev_key, prev_value in zip(ordering[:i], values[:i], strict=False):
            step &= Q(**{prev_key.lstrip("-"): prev_value})
        q |= step
    # The redundant bound on the leading key lets the index range start at the cursor.
    first = ordering[0]
    bound = "lte" if first.startswith("-") != reverse else "gte"
    return Q(**{f"{first.lstrip('-')}__{bound}": values[0]}) & q


@dataclass
class KeysetPage:
    object_list: list
    has_next: bool
    has_previous: bool
    next_query: str
    previous_query: str
    per_page: int

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def keyset_page(
    request, queryset: QuerySet, ordering: tuple[str, ...], *, per_page: int = DEFAULT_PER_PAGE
) -> KeysetPage:
    after = request.GET.get("after")
    before = request.GET.get("before")
    model = queryset.model
    fields = [model._meta.get_field(k.lstrip("-")) for k in ordering]

    def parse(token):
        values = _decode(token) if token else None
        if values is None or len(values) != len(fields):
            return None
        try:
            return [f.to_python(v) for f, v in zip(fields, values, strict=False)]
        except (ValidationError, ValueError, TypeError):
            return None

    qs = queryset
    going_back = False
    if (values := parse(after)) is not None:
        qs = qs.filter(_after_q(ordering, values, reverse=False, fields=fields)).order_by(*ordering)
    elif (values := parse(before)) is not None:
        going_back = True
        flipped = tuple(k[1:] if k.startswith("-") else f"-{k}" for k in ordering)
        qs = qs.filter(_after_q(ordering, values, reverse=True, fields=fields)).order_by(*flipped)
    else:
        qs = qs.order_by(*ordering)
    rows = list(qs[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    if going_back:
        rows.reverse()
        has_next, has_previous = True, more
    else:
        has_next, has_previous = more, bool(after and values is not None)

    def query(key, row):
        params = request.GET.copy()
        params.pop("after", None)
        params.pop("before", None)
        params[key] = _encode([getattr(row, f.attname) for f in fields])
        return "?" + urlencode(sorted(params.lists()), doseq=True)

    return KeysetPage(
        object_list=rows,
        has_next=has_next and bool(rows),
        has_previous=has_previous and bool(rows),
        next_query=query("after", rows[-1]) if rows else "",
        previous_query=query("before", rows[0]) if rows else "",
        per_page=per_page,
    )
