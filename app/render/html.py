"""Render the document model to print HTML with a sandboxed, autoescaping Jinja environment."""

from __future__ import annotations

import base64
import functools
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from app.render.model import Document
from app.render.qr import qr_data_uri, qr_svg


def css_string(value: object) -> Markup:
    """Escape a value for use inside a CSS string in a <style> block (quotes, backslashes, '<')."""
    text = str(value)
    out = []
    for ch in text:
        if ch in '"\\<>&\n\r' or ord(ch) < 0x20:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return Markup("".join(out))


@functools.lru_cache(maxsize=8)
def environment(templates_dir: Path, form_dirs: tuple[Path, ...] = ()) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader([str(templates_dir), *map(str, form_dirs)]),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=False,
    )
    env.filters["css"] = css_string
    return env


def render_html(doc: Document, templates_dir: Path, template: Path | None = None, body_only: bool = False) -> str:
    """The print HTML of a document; `template` is a form's own .html (extending document.html).

    body_only: one copy without what differs between copies (label, 份号, page footer), to be
    repeated and overlaid with render_copy_marks().
    """
    folders = (template.parent,) if template else ()
    env = environment(templates_dir, folders)
    tpl = env.get_template(template.name if template else "document.html")
    seal_src = ""
    if doc.seal_image:
        data = Path(doc.seal_image).read_bytes()
        seal_src = "data:image/png;base64," + base64.b64encode(data).decode()
    return tpl.render(
        doc=doc,
        qr_src=qr_data_uri(doc.verify_url),
        qr_svg=Markup(qr_svg(doc.verify_url)),
        seal_src=seal_src,
        body_only=body_only,
    )


def render_copy_marks(
    templates_dir: Path, marks: tuple[tuple[str, str], ...], paper: str, orientation: str, pages_per_copy: int
) -> str:
    """HTML of the per-copy marks, (label, 份号) per copy, with page footers: one page per body page."""
    tpl = environment(templates_dir).get_template("copy-marks.html")
    return tpl.render(marks=marks, paper=paper, orientation=orientation, pages_per_copy=pages_per_copy)
