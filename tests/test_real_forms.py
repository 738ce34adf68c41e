"""Meta-tests over forms/: every form loads, checks clean, renders its example, and prints its fixed text."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.checks import check_form
from app.registry import Catalogue
from app.render.model import Document, Letterhead, build_document
from app.render.pdf import render_document_pdf
from app.specs import FormSpec
from app.validation import validate_submission
from tests.conftest import ROOT, pdf_pages, pdf_text, squash

INVENTORY = ROOT.parent / "shared" / "forms-inventory" / "inventory.yaml"
LETTERHEAD = Letterhead(company="海亮物业管理有限公司", project_name="海亮·锦华花园", project_code="HL")


@pytest.fixture(scope="module")
def inventory() -> dict[str, dict[str, Any]]:
    if not INVENTORY.exists():
        pytest.fail(f"the forms inventory is missing: {INVENTORY} (shared/ must sit beside the checkout)")
    return {item["id"]: item for item in yaml.safe_load(INVENTORY.read_text(encoding="utf-8"))}


def forms_of(catalogue_name: str) -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "forms").glob("*/form.toml"))


FORM_IDS = forms_of("forms")
# DocDesk's own forms (`system = true`), issued by its workflows and absent from the manuals' inventory;
# a new one is added here on purpose, so no stray form can pass as a system form
SYSTEM_FORMS = {"archive-destruction-register"}  # 档案销毁清册 (app.disposal)


def test_there_are_forms() -> None:
    assert len(FORM_IDS) >= 12


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_form_is_complete_and_consistent(
    real_catalogue: Catalogue, form_id: str, inventory: dict[str, dict[str, Any]]
) -> None:
    form = real_catalogue.forms[form_id]
    assert check_form(form, real_catalogue.examples[form_id]) == []
    assert form.system == (form_id in SYSTEM_FORMS)
    if form.system:
        assert form_id not in inventory and form.retention_note
        return
    item = inventory[form_id]
    assert form.title == item["title"]
    assert form.kind == item["kind"]
    assert form.tier == item["tier"]
    if item.get("form_code"):
        assert form.form_code == item["form_code"]
    if item.get("retention"):
        assert form.retention == item["retention"]
    else:
        assert form.retention_assigned and form.retention_note
    if item.get("retention_conflict"):
        other = [c["value"] for c in item["retention_conflict"] if c["value"] != item["retention"]]
        assert all(v in form.retention_note for v in other)
    printed = [(c["n"], c.get("colour") or "") for c in item.get("copies") or []]
    if printed:
        assert [(c.n, c.colour) for c in form.copies] == printed


def sample_document(form: FormSpec, data: dict[str, Any]) -> Document:
    """The document model every rendering test here prints: a fixed number, date and letterhead."""
    return build_document(
        form,
        data,
        number="HL-TEST-2026-00001",
        issue_date=dt.date(2026, 11, 22),
        letterhead=LETTERHEAD,
        verify_url="http://docdesk.test/v/x",
    )


def render_to_text(form: FormSpec, data: dict[str, Any], out: Path, layout: bool = True) -> tuple[str, int]:
    doc = sample_document(form, data)
    render_document_pdf(doc, ROOT / "templates", form.templates.get(".html"), out)
    # page furniture (running header and footer, copy label, QR caption, seal placeholder) is removed line
    # by line, so a sentence broken by a page end still reads as one; body lines are never touched
    furniture = {"编号：HL-TEST-2026-00001", "扫码验真", LETTERHEAD.company, "公司印章", "签章", "印章"}
    furniture |= {squash(c.label) for c in doc.copies if c.label} | {f"份号{c.serial}" for c in doc.copies}
    kept = []
    for line in pdf_text(out, layout=layout).splitlines():
        s = squash(line)
        for f in sorted(furniture, key=len, reverse=True):
            if s.startswith(f) and (s == f or squash(s[len(f) :]).startswith(("编号", "第"))):
                s = s[len(f) :]
        s = re.sub(r"第\d+页/共\d+页$", "", s)
        s = re.sub(r"编号：HL-TEST-2026-00001(份号\d+/\d+)?$", "", s)
        if s not in furniture:
            kept.append(s)
    return "".join(kept), pdf_pages(out)


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_example_pdf_shows_title_and_values(real_catalogue: Catalogue, form_id: str, tmp_path: Path) -> None:
    form = real_catalogue.forms[form_id]
    clean = validate_submission(form, real_catalogue.examples[form_id])
    text, pages = render_to_text(form, clean, tmp_path / "x.pdf", layout=False)
    assert squash(form.title) in text
    assert pages >= max(1, len(form.copies))
    fonts = subprocess.run(["pdffonts", str(tmp_path / "x.pdf")], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "Serif-SC" in line or "CJK" in line]
    assert cjk and all(" yes yes " in line for line in cjk), fonts
    for f in form.fields:
        value = clean.get(f.key)
        if f.type in ("text", "phone", "id_card", "uscc") and value:
            # a value wrapped in a grid cell can be interleaved with its label by text extraction,
            # so its first line's worth (10 characters) is what is compared
            assert squash(str(value))[:10] in text, f"{f.label} = {value} not printed"


# extraction artefacts the inventory README lists, corrected on the printed form
ARTEFACTS = {"Leabharlann": "饱", "栏打;": "栏打√;"}
# 【海亮xxxx】 / 【海亮XXXX】 is the project-name blank (README: "【海亮xxxx】 = project placeholder")
PROJECT_BLANK = r"【海亮[xX]+】"


def fragments(item: dict[str, Any]) -> list[str]:
    """The fixed text cut at blanks: at colons, sentence ends, line breaks, printed labels and the title.

    The inventory's fixed_text runs labels and blanks together ("项目名称:单元号:栋室"), so what must be
    printed word for word is every run of two or more characters between those cuts.
    """
    text = unicodedata.normalize("NFKC", item["fixed_text"])
    for wrong, right in ARTEFACTS.items():
        text = text.replace(wrong, right)
    labels = {unicodedata.normalize("NFKC", f["label"]) for f in item.get("fields") or [] if f.get("label")}
    cuts = sorted(labels | {unicodedata.normalize("NFKC", item["title"])}, key=len, reverse=True)
    pattern = "|".join([r"[。\n:]", r"\.{3,}", PROJECT_BLANK, *(re.escape(c) for c in cuts if c)])
    return [squash(p) for p in re.split(pattern, text) if len(squash(p)) >= 2]


TIER_A = [f for f in FORM_IDS if (ROOT / "forms" / f / "form.toml").read_text(encoding="utf-8").count('tier = "A"')]
# tier-A forms whose inventory item prints fixed text (the others print only a layout, checked by their labels)
WITH_FIXED_TEXT = (
    [
        i["id"]
        for i in yaml.safe_load(INVENTORY.read_text(encoding="utf-8"))
        if i["id"] in TIER_A and i.get("fixed_text")
    ]
    if INVENTORY.exists()
    else TIER_A  # the fixture then fails with the reason
)


def test_most_tier_a_forms_print_fixed_text() -> None:
    assert len(WITH_FIXED_TEXT) >= 20


@pytest.mark.parametrize("form_id", WITH_FIXED_TEXT)
def test_tier_a_fixed_text_is_printed_word_for_word(
    real_catalogue: Catalogue, form_id: str, tmp_path: Path, inventory: dict[str, dict[str, Any]]
) -> None:
    item = inventory[form_id]
    form = real_catalogue.forms[form_id]
    text, _ = render_to_text(form, {}, tmp_path / "blank.pdf")  # a blank form: labels and fixed text only
    text = unicodedata.normalize("NFKC", text)
    missing = [f for f in fragments(item) if f not in text]
    assert not missing, f"not printed word for word: {missing}"


def test_every_inventory_form_is_defined_and_nothing_else(inventory: dict[str, dict[str, Any]]) -> None:
    assert set(FORM_IDS) - SYSTEM_FORMS == set(inventory)
    assert set(FORM_IDS) >= SYSTEM_FORMS and not SYSTEM_FORMS & set(inventory)
    assert len(FORM_IDS) - len(SYSTEM_FORMS) == 469


def test_the_api_lists_every_inventory_form(client: Any, inventory: dict[str, dict[str, Any]]) -> None:
    listed = {f["id"] for f in client.get("/api/forms").json()}
    assert listed >= set(inventory)


def test_forms_index_is_current() -> None:
    from scripts.forms_index import index_text

    assert (ROOT / "forms" / "INDEX.md").read_text(encoding="utf-8") == index_text(), (
        "forms/INDEX.md is out of date: run python scripts/forms_index.py"
    )


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_word_file_has_bordered_tables_and_an_east_asian_font(
    real_catalogue: Catalogue, form_id: str, tmp_path: Path
) -> None:
    """Every data table is a bordered Table Grid; every run names an East-Asian font (宋体) for Chinese text."""
    import zipfile

    from app.render.docx import render_docx
    from app.render.layouts import layout_blocks

    form = real_catalogue.forms[form_id]
    clean = validate_submission(form, real_catalogue.examples[form_id])
    doc = sample_document(form, clean)
    render_docx(doc, ROOT / "templates" / "document.docx", tmp_path / "x.docx")
    with zipfile.ZipFile(tmp_path / "x.docx") as z:
        body = z.read("word/document.xml").decode()
        styles = z.read("word/styles.xml").decode()
    ruled = sum(
        1
        for b in layout_blocks(form)
        if b.type in ("fields", "long", "approvals") or (b.type == "table" and getattr(b, "style", "") == "table")
    )
    per_copy = body.count('w:tblStyle w:val="TableGrid"') // max(1, len(form.copies))
    assert per_copy >= ruled, f"{per_copy} bordered tables for {ruled} ruled blocks"
    assert 'w:eastAsia="宋体"' in styles
    runs = body.count("<w:r>") + body.count("<w:r ")
    assert body.count('w:eastAsia="宋体"') >= runs * 0.9, "runs without an East-Asian font"
