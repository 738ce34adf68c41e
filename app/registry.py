"""Discover every form under forms/ (one folder per form) and load it strictly, with file and line in errors."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.form_finder import FormFinder
from app.specs import FormSpec

TEMPLATE_SUFFIXES = (".html", ".docx")


class FormError(Exception):
    """A form definition that cannot be loaded; str() names the file, the line and what is wrong."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


@dataclass
class Catalogue:
    """The loaded forms, their examples, and the forms that failed to load (kept aside, not fatal)."""

    forms: dict[str, FormSpec] = field(default_factory=dict)
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)
    broken: list[FormError] = field(default_factory=list)

    def get(self, form_id: str) -> FormSpec | None:
        return self.forms.get(form_id)

    @cached_property
    def finder(self) -> FormFinder:
        return FormFinder(self.forms.values())


def load_form(folder: Path) -> tuple[FormSpec, dict[str, Any]]:
    """Load forms/<id>/form.toml and its example.toml; raise FormError on any problem."""
    form_file = folder / "form.toml"
    text = form_file.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _line_from_toml_error(str(exc))
        raise FormError(form_file, f"TOML 格式错误：{exc}", line) from exc
    templates = {
        suffix: folder / f"{folder.name}{suffix}"
        for suffix in TEMPLATE_SUFFIXES
        if (folder / f"{folder.name}{suffix}").exists()
    }
    try:
        spec = FormSpec.model_validate({**raw, "folder": folder, "templates": templates})
    except ValidationError as exc:
        # a misspelt key shows up twice (an unknown key and a missing one): report the misspelling,
        # which has a line to point at
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = errors[0]
        loc = [str(p) for p in first["loc"]]
        where = ".".join(loc)
        msg = _chinese_pydantic_message(first)
        raise FormError(form_file, f"{where}：{msg}", _line_of(text, first["loc"])) from exc
    if spec.id != folder.name:
        raise FormError(form_file, f"id “{spec.id}” 与文件夹名 “{folder.name}” 不一致", _line_of(text, ("id",)))
    example_file = folder / "example.toml"
    if not example_file.exists():
        raise FormError(example_file, "缺少示例数据 example.toml")
    try:
        example = tomllib.loads(example_file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise FormError(example_file, f"TOML 格式错误：{exc}", _line_from_toml_error(str(exc))) from exc
    return spec, example


def load_catalogue(forms_dir: Path, *, strict: bool = False) -> Catalogue:
    """Load every folder under forms_dir that has a form.toml.

    strict=True (check-forms, tests) raises at the first broken form; otherwise a broken form is
    set aside in `broken` so one bad edit does not take every other form offline.
    """
    cat = Catalogue()
    for form_file in sorted(forms_dir.glob("*/form.toml")):
        try:
            spec, example = load_form(form_file.parent)
        except FormError as err:
            if strict:
                raise
            cat.broken.append(err)
            continue
        cat.forms[spec.id] = spec
        cat.examples[spec.id] = example
    return cat


_PYDANTIC_ZH = {
    "extra_forbidden": "不认识这个键（是否拼写错误？）",
    "missing": "缺少必填的键",
    "literal_error": "取值不在允许的范围内",
    "string_type": "应为文字（加引号）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为 true 或 false",
    "list_type": "应为列表 [ ... ]",
    "union_tag_invalid": "不认识的版块类型 type",
    "union_tag_not_found": "版块缺少 type",
}


def _chinese_pydantic_message(err: Any) -> str:
    zh = _PYDANTIC_ZH.get(err["type"])
    if err["type"] == "literal_error":
        return f"{zh}（允许：{err.get('ctx', {}).get('expected', '')}）"
    if zh:
        return zh
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def _line_from_toml_error(message: str) -> int | None:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


def _line_of(text: str, loc: tuple[Any, ...] | list[Any]) -> int | None:
    """Best-effort line of a pydantic error location in the TOML source.

    Walks `[[fields]]`-style headers for list indexes and finds the key after them; good enough
    to point an office manager at the right line of a hand-written file.
    """
    lines = text.splitlines()
    start = 0
    table_path: list[str] = []
    i = 0
    loc = list(loc)
    while i < len(loc):
        part = loc[i]
        nxt = loc[i + 1] if i + 1 < len(loc) else None
        if isinstance(nxt, int):
            table_path.append(str(part))
            header = "[[" + ".".join(table_path) + "]]"
            seen = -1
            for n in range(start, len(lines)):
                if lines[n].strip() == header:
                    seen += 1
                    if seen == nxt:
                        start = n + 1
                        break
            else:
                return None
            i += 2
            continue
        key_re = re.compile(rf"^\s*{re.escape(str(part))}\s*=")
        for n in range(start, len(lines)):
            if key_re.match(lines[n]):
                return n + 1
            if n > start and lines[n].lstrip().startswith("[[") and table_path:
                break
        return start if start else None
    return start or None
