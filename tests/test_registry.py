"""Form discovery: strict loading with file and line, folder/id agreement, broken forms set aside."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.registry import FormError, load_catalogue, load_form
from tests.conftest import RESOURCES


def copy_form(tmp_path: Path) -> Path:
    dest = tmp_path / "forms" / "all-types"
    shutil.copytree(RESOURCES / "forms" / "all-types", dest)
    return dest


def test_typo_in_a_key_names_file_and_line(tmp_path: Path) -> None:
    folder = copy_form(tmp_path)
    toml = folder / "form.toml"
    lines = toml.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == 'key = "company"')
    lines.insert(at + 2, "requried = true")
    toml.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(FormError) as info:
        load_form(folder)
    assert info.value.path == toml
    assert info.value.line == at + 3
    assert "requried" in str(info.value) and "不认识这个键" in str(info.value)


def test_top_level_typo_is_found_too(tmp_path: Path) -> None:
    folder = copy_form(tmp_path)
    toml = folder / "form.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('kind = "application"', 'knid = "application"'),
        encoding="utf-8",
    )
    with pytest.raises(FormError) as info:
        load_form(folder)
    assert info.value.line == 4


def test_folder_name_must_match_id(tmp_path: Path) -> None:
    folder = copy_form(tmp_path)
    folder.rename(folder.parent / "other-name")
    with pytest.raises(FormError, match="不一致"):
        load_form(folder.parent / "other-name")


def test_toml_syntax_error_has_a_line(tmp_path: Path) -> None:
    folder = copy_form(tmp_path)
    (folder / "form.toml").write_text('id = "all-types"\ntitle = "x\n', encoding="utf-8")
    with pytest.raises(FormError) as info:
        load_form(folder)
    assert info.value.line == 2


def test_broken_form_is_set_aside_unless_strict(tmp_path: Path) -> None:
    folder = copy_form(tmp_path)
    shutil.copytree(folder, tmp_path / "forms" / "broken")
    (tmp_path / "forms" / "broken" / "form.toml").write_text('id = "broken"\n', encoding="utf-8")
    cat = load_catalogue(tmp_path / "forms")
    assert list(cat.forms) == ["all-types"] and len(cat.broken) == 1
    with pytest.raises(FormError):
        load_catalogue(tmp_path / "forms", strict=True)


def test_a_block_referring_to_an_unknown_field_is_reported(tmp_path: Path) -> None:
    from app.checks import check_form

    folder = copy_form(tmp_path)
    toml = folder / "form.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        .replace('field = "works"', 'field = "wroks"')
        .replace("{name}（房号", "{nmae}（房号"),
        encoding="utf-8",
    )
    spec, example = load_form(folder)
    problems = check_form(spec, example)
    assert any("wroks" in p for p in problems)
    assert any("{nmae}" in p for p in problems)


def test_fixed_text_no_font_can_print_is_reported(tmp_path: Path) -> None:
    from app.checks import check_form

    folder = copy_form(tmp_path)
    toml = folder / "form.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("{name}（房号", "{name}𰀀（房号"), encoding="utf-8")
    spec, example = load_form(folder)
    assert [p for p in check_form(spec, example) if "方框" in p] == [
        f"{toml}: 含打印字体里没有的字 “𰀀”（U+30000），会印成方框"
    ]


def test_own_html_template_may_only_use_declared_fields(tmp_path: Path) -> None:
    from app.checks import check_form

    folder = copy_form(tmp_path)
    (folder / "all-types.html").write_text(
        '{% extends "document.html" %}{{ name }}{{ undeclared_thing }}', encoding="utf-8"
    )
    spec, example = load_form(folder)
    assert spec.templates[".html"].name == "all-types.html"
    problems = check_form(spec, example)
    assert any("undeclared_thing" in p for p in problems)
    assert not any("name," in p for p in problems)


def test_shared_word_template_uses_only_supplied_names(tmp_path: Path) -> None:
    from docx import Document

    from app.checks import check_shared_templates
    from tests.conftest import ROOT

    assert check_shared_templates(ROOT / "templates") == []
    for name in ("document.html", "print.css"):
        shutil.copy(ROOT / "templates" / name, tmp_path / name)
    doc = Document(str(ROOT / "templates" / "document.docx"))
    doc.add_paragraph("{{ owner_secret }}")
    doc.save(str(tmp_path / "document.docx"))
    assert any("owner_secret" in p for p in check_shared_templates(tmp_path))
