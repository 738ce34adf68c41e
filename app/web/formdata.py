"""Turn a posted HTML form (flat names like room.building, items[2].amount) into submission data."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from app.specs import FormSpec

_ROW = re.compile(r"^([a-z][a-z0-9_]*)\[(\d{1,3})\]\.([a-z][a-z0-9_]*)$")


def parse_posted(form: FormSpec, items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Keep only the form's fields; ignore buttons and anything unknown (the page only posts known names)."""
    fields = form.field_map
    data: dict[str, Any] = {}
    rows: dict[str, dict[int, dict[str, Any]]] = {}
    for name, value in items:
        if not isinstance(value, str):
            continue
        m = _ROW.match(name)
        if m and m.group(1) in fields and fields[m.group(1)].type == "table":
            rows.setdefault(m.group(1), {}).setdefault(int(m.group(2)), {})[m.group(3)] = value
            continue
        key, _, part = name.partition(".")
        spec = fields.get(key)
        if spec is None or spec.computed:
            continue
        if spec.type == "address" and part:
            data.setdefault(key, {})[part] = value
        elif spec.type == "multichoice":
            data.setdefault(key, []).append(value)
        elif spec.type == "boolean":
            data[key] = value == "on" or value == "true"
        elif not part:
            data[key] = value
    for key, by_index in rows.items():
        data[key] = [by_index[i] for i in sorted(by_index)]
    return data
