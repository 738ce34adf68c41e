"""Check a loaded form beyond its schema: numbering pattern, block references, placeholders, templates, example."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from app.glyphs import named, unprintable
from app.numbering import PatternError, check_pattern
from app.render.docx import DOCX_CONTEXT
from app.render.layouts import layout_blocks
from app.render.model import BUILTINS
from app.render.placeholders import placeholders
from app.specs import FormSpec, IssuerBlock, SectionBlock, TableBlock, TextBlock
from app.validation import SubmissionInvalid, validate_submission

# names a form's own .html template may use besides its fields
TEMPLATE_BUILTINS = {"doc", "css", "qr_svg", "qr_src", "seal_src", "seal", "data", *BUILTINS}


def check_form(form: FormSpec, example: dict[str, Any]) -> list[str]:
    """Every problem of one loaded form: pattern, placeholders, template variables, example data."""
    problems: list[str] = []
    where = f"{form.folder}/form.toml"
    try:
        check_pattern(form.numbering)
    except PatternError as exc:
        problems.append(f"{where}: {exc}")
    fields = form.field_map
    for i, block in enumerate(layout_blocks(form)):
        refs: list[str] = []
        for name in ("field",):
            if hasattr(block, name):
                refs.append(getattr(block, name))
        refs += list(getattr(block, "fields", []))
        for place in getattr(block, "places", []):
            refs += [r for r in (place.field, place.date) if r]
        date_ref = getattr(block, "date", None)
        if isinstance(date_ref, str):
            refs.append(date_ref)
        for ref in refs:
            if ref not in fields:
                problems.append(f"{where}: blocks[{i}] 引用了未声明的字段 “{ref}”")
        texts = [block.text] if isinstance(block, TextBlock | SectionBlock) else []
        if isinstance(block, IssuerBlock):
            texts.append(block.name)
        for text in texts:
            problems += _check_placeholders(where, f"blocks[{i}]", text, form)
        if isinstance(block, TableBlock) and block.field in fields and fields[block.field].type != "table":
            problems.append(f"{where}: blocks[{i}] 的 “{block.field}” 不是表格字段")
    for i, paragraph in enumerate(form.body):
        problems += _check_placeholders(where, f"body[{i}]", paragraph, form)
    if form.subject:
        problems += _check_placeholders(where, "subject", form.subject, form)
    html = form.templates.get(".html")
    if html is not None:
        env = SandboxedEnvironment()
        used = meta.find_undeclared_variables(env.parse(html.read_text(encoding="utf-8")))
        unknown = used - form.field_names - TEMPLATE_BUILTINS
        if unknown:
            problems.append(f"{html}: 模板使用了未声明的变量：{', '.join(sorted(unknown))}")
    if form.folder is not None:  # fixed text the fonts cannot draw would print as empty boxes on every copy
        for path in [form.folder / "form.toml", *(t for t in form.templates.values() if t.suffix == ".html")]:
            missing = unprintable(path.read_text(encoding="utf-8"))
            if missing:
                problems.append(f"{path}: 含打印字体里没有的字 {named(missing)}，会印成方框")
    try:
        validate_submission(form, example)
    except SubmissionInvalid as exc:
        for e in exc.errors:
            problems.append(f"{form.folder}/example.toml: {e.label}（{e.field}）：{e.message}")
    return problems


def check_catalogue(forms: Iterable[FormSpec]) -> list[str]:
    """Problems between forms: two forms with one number code would issue the same numbers."""
    by_code: dict[str, list[FormSpec]] = {}
    for form in forms:
        by_code.setdefault(form.code, []).append(form)
    return [
        f"{same[1].folder}/form.toml: 编号代码 code “{code}” 已被 {', '.join(f.id for f in same[:1])} 使用，"
        f"同一代码会开出重复的编号，请换一个"
        for code, same in sorted(by_code.items())
        if len(same) > 1
    ]


def _check_placeholders(where: str, what: str, text: str, form: FormSpec) -> list[str]:
    out = []
    fields = form.field_map
    for key, part, how in placeholders(text):
        if key not in fields and key not in BUILTINS:
            out.append(f"{where}: {what} 中的 {{{key}}} 不是本表字段")
            continue
        if part and (key not in fields or fields[key].type != "address"):
            out.append(f"{where}: {what} 中的 {{{key}.{part}}} 只能用于地址字段")
        if how and (how != "upper" or key not in fields or fields[key].type != "money"):
            out.append(f"{where}: {what} 中的 {{{key}:{how}}} 只能是金额字段的 :upper（人民币大写）")
    return out


def check_shared_templates(templates_dir: Path) -> list[str]:
    """The shared Word and HTML templates exist and the Word one uses only names the renderer supplies."""
    problems = []
    for name in ("document.docx", "document.html", "print.css"):
        if not (templates_dir / name).is_file():
            problems.append(f"{templates_dir / name}: 缺少共用模板")
    docx = templates_dir / "document.docx"
    if docx.is_file():
        used = DocxTemplate(str(docx)).get_undeclared_template_variables()
        unknown = set(used) - DOCX_CONTEXT
        if unknown:
            problems.append(f"{docx}: 模板使用了未提供的变量：{', '.join(sorted(unknown))}")
    return problems
