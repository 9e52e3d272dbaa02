"""The contact-reason tree in memory, and its exchange format.

Agents search the tree on every call, so it is held in memory per process (a few hundred
nodes) and rebuilt only when a reason changes: each lookup compares a cheap fingerprint
(count and latest update) with the one the cached tree was built from.

Exchange format (export_contact_reasons / import_contact_reasons and the data file the
migration loads): one row per node, parents before children, with the node's path of
English labels, level, original label, Russian label, definitions, grouping, order and
active flag. JSON is a list with one object per line; CSV has the path joined with " › ".
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from dataclasses import dataclass, field

from django.db.models import Count, Max

from .models import MAX_LEVEL, PATH_SEPARATOR, ContactReason

FIELDS = [
    "path",
    "level",
    "label_en_original",
    "label_ru",
    "definition_ru",
    "definition_en",
    "grouping",
    "order",
    "active",
]


@dataclass
class Node:
    id: int
    parent_id: int | None
    level: int
    label_en: str
    label_ru: str
    definition_en: str
    definition_ru: str
    grouping: str
    order: int
    is_active: bool
    path: tuple[str, ...] = ()
    ancestor_ids: tuple[int, ...] = ()
    children: list[int] = field(default_factory=list)
    # Active and every ancestor active: what agents may pick.
    selectable: bool = True
    haystack: str = ""

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def path_display(self) -> str:
        return PATH_SEPARATOR.join(self.path)


class Tree:
    def __init__(self, reasons):
        self.nodes: dict[int, Node] = {}
        for r in reasons:
            self.nodes[r.id] = Node(
                id=r.id,
                parent_id=r.parent_id,
                level=r.level,
                label_en=r.label_en,
                label_ru=r.label_ru,
                definition_en=r.definition_en,
                definition_ru=r.definition_ru,
                grouping=r.grouping,
                order=r.order,
                is_active=r.is_active,
            )
        ordered = sorted(self.nodes.values(), key=lambda n: (n.level, n.order, n.label_en.lower(), n.id))
        self.roots: list[int] = []
        for node in ordered:
            if node.parent_id is None:
                node.path, node.ancestor_ids, node.selectable = (node.label_en,), (), node.is_active
                self.roots.append(node.id)
            else:
                parent = self.nodes[node.parent_id]
                node.path = (*parent.path, node.label_en)
                node.ancestor_ids = (*parent.ancestor_ids, parent.id)
                node.selectable = node.is_active and parent.selectable
                parent.children.append(node.id)
            node.haystack = " ".join([*node.path, node.label_ru, node.definition_en, node.definition_ru]).lower()
        self.preorder: list[Node] = []

        def walk(ids):
            for i in ids:
                self.preorder.append(self.nodes[i])
                walk(self.nodes[i].children)

        walk(self.roots)

    def get(self, pk) -> Node | None:
        return self.nodes.get(pk)

    def active_children(self, node: Node) -> list[Node]:
        return [self.nodes[c] for c in node.children if self.nodes[c].selectable]

    def is_selectable_leaf(self, node: Node) -> bool:
        # A node whose children are all retired is a leaf for agents too.
        return node.selectable and not self.active_children(node)

    def search(self, query: str, *, limit: int = 12) -> list[Node]:
        """Nodes matching every word of `query`, best first: a label starting with the
        query, then a word of the label, then the path, then the definitions."""
        words = query.lower().split()
        if not words:
            return []
        first = words[0]
        scored = []
        for node in self.preorder:
            if not node.selectable or not all(w in node.haystack for w in words):
                continue
            label = f"{node.label_en} {node.label_ru}".lower()
            if label.startswith(query.lower().strip()):
                score = 0
            elif any(part.startswith(first) for part in label.replace("/", " ").replace("-", " ").split()):
                score = 1
            elif first in " ".join(node.path).lower():
                score = 2
            else:
                score = 3
            # Leaves first: that is where a contact must end.
            scored.append((score, 0 if self.is_selectable_leaf(node) else 1, node.level, len(scored), node))
        scored.sort(key=lambda t: t[:4])
        return [t[-1] for t in scored[:limit]]

    def as_json(self, node: Node) -> dict:
        return {
            "id": node.id,
            "level": node.level,
            "label": node.label_en,
            "label_ru": node.label_ru,
            "path": list(node.path),
            "path_display": node.path_display,
            "definition": node.definition_en,
            "definition_ru": node.definition_ru,
            "ancestors": list(node.ancestor_ids),
            "leaf": self.is_selectable_leaf(node),
        }


_lock = threading.Lock()
_cache: dict = {"fingerprint": None, "tree": None, "checked": 0.0}
# How long a process trusts its tree before asking the database whether a reason changed
# (changes made in this process invalidate it at once).
CHECK_EVERY_SECONDS = 2.0


def _fingerprint():
    agg = ContactReason.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
    return (agg["n"], agg["latest"])


def invalidate() -> None:
    with _lock:
        _cache.update(fingerprint=None, tree=None, checked=0.0)


def get_tree() -> Tree:
    now = time.monotonic()
    with _lock:
        if _cache["tree"] is not None and now - _cache["checked"] < CHECK_EVERY_SECONDS:
            return _cache["tree"]
    fingerprint = _fingerprint()
    with _lock:
        if _cache["fingerprint"] != fingerprint or _cache["tree"] is None:
            _cache["tree"] = Tree(ContactReason.objects.all())
            _cache["fingerprint"] = fingerprint
        _cache["checked"] = now
        return _cache["tree"]


# ---------------------------------------------------------------------------
# Exchange format


def export_rows() -> list[dict]:
    tree = Tree(ContactReason.objects.all())
    reasons = {r.id: r for r in ContactReason.objects.all()}
    rows = []
    for node in tree.preorder:
        r = reasons[node.id]
        rows.append(
            {
                "path": list(node.path),
                "level": r.level,
                "label_en_original": r.label_en_original,
                "label_ru": r.label_ru,
                "definition_ru": r.definition_ru,
                "definition_en": r.definition_en,
                "grouping": r.grouping,
                "order": r.order,
                "active": r.is_active,
            }
        )
    return rows


def dump_json(rows: list[dict]) -> str:
    if not rows:
        return "[]\n"
    return "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]\n"


def dump_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for r in rows:
        writer.writerow(
            [
                PATH_SEPARATOR.join(r["path"]),
                r["level"],
                r["label_en_original"],
                r["label_ru"],
                r["definition_ru"],
                r["definition_en"],
                r["grouping"],
                r["order"],
                "true" if r["active"] else "false",
            ]
        )
    return out.getvalue()


class FormatError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def parse(text: str) -> list[tuple[int, dict]]:
    """(line number, raw row) pairs from JSON or CSV text. Raises FormatError when the
    file as a whole cannot be read; row-level checks are validate_rows()'s job."""
    stripped = text.lstrip("\ufeff").lstrip()
    if stripped.startswith("["):
        return _parse_json(text.lstrip("\ufeff"))
    return _parse_csv(text.lstrip("\ufeff"))


def _parse_json(text: str) -> list[tuple[int, dict]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError([f"line {exc.lineno}: not valid JSON ({exc.msg})"]) from exc
    if not isinstance(data, list):
        raise FormatError(["line 1: expected a JSON list of reasons"])
    # Exported files hold one object per line after the opening bracket; for other layouts
    # the number is the entry's position plus one, still enough to find it.
    lines = text.splitlines()
    line_numbers = [i + 1 for i, line in enumerate(lines) if line.lstrip().startswith("{")]
    rows = []
    for index, item in enumerate(data):
        line = line_numbers[index] if len(line_numbers) == len(data) else index + 2
        rows.append((line, item))
    return rows


def _parse_csv(text: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in ("path", "level") if f not in (reader.fieldnames or [])]
    if missing:
        raise FormatError([f"line 1: missing column(s): {', '.join(missing)}"])
    rows = []
    for raw in reader:
        line = reader.line_num
        row = dict(raw)
        if None in row:
            rows.append((line, {"_error": "too many columns"}))
            continue
        row["path"] = [p.strip() for p in (row.get("path") or "").split(PATH_SEPARATOR.strip())]
        rows.append((line, row))
    return rows


TRUE = {"true", "1", "yes", "y"}
FALSE = {"false", "0", "no", "n"}


def validate_rows(pairs: list[tuple[int, dict]], existing_paths: set[tuple[str, ...]]) -> tuple[list[dict], list[str]]:
    """Clean rows and the list of errors ("line N: ..."). A parent must come earlier in the
    file or already exist."""
    errors: list[str] = []
    clean: list[dict] = []
    seen: dict[tuple[str, ...], int] = {}
    groupings = set(ContactReason.Grouping.values)
    for line, raw in pairs:
        problems = []
        if not isinstance(raw, dict):
            errors.append(f"line {line}: expected an object")
            continue
        if "_error" in raw:
            errors.append(f"line {line}: {raw['_error']}")
            continue
        path = raw.get("path")
        if not isinstance(path, list) or not path or not all(isinstance(p, str) and p.strip() for p in path):
            errors.append(f"line {line}: the path is empty or has an empty label")
            continue
        path = tuple(p.strip() for p in path)
        if any(len(p) > 120 for p in path):
            problems.append("a label is longer than 120 characters")
        try:
            level = int(raw.get("level"))
        except (TypeError, ValueError):
            problems.append(f"level {raw.get('level')!r} is not a number")
            level = len(path)
        if level > MAX_LEVEL or len(path) > MAX_LEVEL:
            problems.append(f"level {max(level, len(path))} is over {MAX_LEVEL}")
        elif level != len(path):
            problems.append(f"level {level} does not match the path's {len(path)} label(s)")
        if path in seen:
            problems.append(f"duplicate path {PATH_SEPARATOR.join(path)!r} (first on line {seen[path]})")
        parent = path[:-1]
        if parent and parent not in seen and parent not in existing_paths:
            problems.append(f"unknown parent {PATH_SEPARATOR.join(parent)!r}")
        grouping = raw.get("grouping") or ""
        if grouping not in groupings:
            problems.append(f"unknown grouping {grouping!r}")
        active = raw.get("active", True)
        if isinstance(active, str):
            if active.strip().lower() in TRUE or not active.strip():
                active = True
            elif active.strip().lower() in FALSE:
                active = False
            else:
                problems.append(f"active must be true or false, not {active!r}")
        elif not isinstance(active, bool):
            problems.append("active must be true or false")
        try:
            order = int(raw.get("order") or 0)
            if order < 0:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"order {raw.get('order')!r} is not a whole number")
            order = 0
        if problems:
            errors.extend(f"line {line}: {p}" for p in problems)
            seen.setdefault(path, line)
            continue
        seen[path] = line
        clean.append(
            {
                "path": path,
                "level": level,
                "label_en_original": (raw.get("label_en_original") or "").strip(),
                "label_ru": (raw.get("label_ru") or "").strip(),
                "definition_ru": (raw.get("definition_ru") or "").strip(),
                "definition_en": (raw.get("definition_en") or "").strip(),
                "grouping": grouping,
                "order": order,
                "active": bool(active),
            }
        )
    return clean, errors
