"""Describe a form for API clients: catalogue entries and a JSON Schema whose examples[0] is valid."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.responses import Response

from app.specs import ColumnSpec, FieldSpec, FormSpec

_FORMATS = {"date": "date", "datetime": "date-time", "time": "time"}


def pdf_response(pdf: bytes, filename: str) -> Response:
    """A PDF shown in the browser (not downloaded), e.g. a 样张 preview."""
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )


def form_summary(form: FormSpec) -> dict[str, Any]:
    return {
        "id": form.id,
        "title": form.title,
        "kind": form.kind,
        "tier": form.tier,
        "copies": [{"n": c.n, "name": c.name, "colour": c.colour, "holder": c.holder} for c in form.copies],
        "retention": form.retention,
        "form_code": form.form_code,
        "code": form.code,
        "aliases": list(form.aliases),
        "source": list(form.source),
    }


def form_detail(form: FormSpec, example: dict[str, Any]) -> dict[str, Any]:
    return {
        **form_summary(form),
        "version": form.version,
        "archive_code": form.archive_code,
        "retention_note": form.retention_note,
        "retention_assigned": form.retention_assigned,
        "numbering": form.numbering,
        "notes": form.notes,
        "fields": [_field_info(f) for f in form.fields],
        "schema": json_schema(form, example),
    }


def json_schema(form: FormSpec, example: dict[str, Any]) -> dict[str, Any]:
    props = {f.key: _field_schema(f) for f in form.fields if not f.computed}
    required = [f.key for f in form.fields if f.required and not f.by_hand and not f.computed]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": form.title,
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
        "examples": [jsonable({k: v for k, v in example.items() if k in props})],
    }


def jsonable(value: Any) -> Any:
    """TOML values (dates, times) as JSON values."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return value


def _field_info(f: FieldSpec) -> dict[str, Any]:
    info: dict[str, Any] = {"key": f.key, "label": f.label, "type": f.type, "required": f.required}
    for extra in ("help", "choices", "section"):
        if getattr(f, extra):
            info[extra] = getattr(f, extra)
    if f.type == "table":
        info["columns"] = [{"key": c.key, "label": c.label, "type": c.type} for c in f.columns]
    if f.computed:
        info["computed"] = f.sum_of
    if f.by_hand:
        info["by_hand"] = True
    return info


def _field_schema(f: FieldSpec | ColumnSpec) -> dict[str, Any]:
    s: dict[str, Any] = {"title": f.label}
    if f.help:
        s["description"] = f.help
    t = f.type
    if t == "table" and isinstance(f, FieldSpec):
        s["type"] = "array"
        s["items"] = {
            "type": "object",
            "properties": {c.key: _field_schema(c) for c in f.columns},
            "required": [c.key for c in f.columns if c.required],
            "additionalProperties": False,
        }
        s["minItems"] = f.min_rows
        if f.max_rows:
            s["maxItems"] = f.max_rows
    elif t == "address" and isinstance(f, FieldSpec):
        s["type"] = ["object", "null"]
        s["properties"] = {p: {"type": "string"} for p in f.parts}
        s["additionalProperties"] = False
    elif t == "multichoice":
        s["type"] = "array"
        s["items"] = {"enum": f.choices}
    elif t == "choice":
        s["enum"] = [*f.choices, None]
    elif t == "boolean":
        s["type"] = ["boolean", "null"]
    elif t == "integer":
        s["type"] = ["integer", "string", "null"]
    elif t in ("money", "number"):
        s["type"] = ["string", "number", "null"]
        s["description"] = (s.get("description", "") + ' 金额，最多两位小数，如 "1236.50"').strip()
    else:
        s["type"] = ["string", "null"]
        if t in _FORMATS:
            s["format"] = _FORMATS[t]
    return s
