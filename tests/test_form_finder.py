"""Finding a form among hundreds: titles, aliases, codes, pinyin initials, kind filter, seed source."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.form_finder import FormFinder, initials, seed_name
from app.registry import Catalogue


@pytest.fixture(scope="module")
def finder(real_catalogue: Catalogue) -> FormFinder:
    return FormFinder(real_catalogue.forms.values())


def ids(forms: list) -> list[str]:  # type: ignore[type-arg]
    return [f.id for f in forms]


def test_pinyin_initials() -> None:
    assert initials("装修许可证") == "zxxkz"
    assert initials("催款通知书REMINDER(1)") == "cktzsreminder(1)"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("zxxkz", "renovation-permit"),  # pinyin initials of the title
        ("装修许可证", "renovation-permit"),  # the exact title comes first
        ("ZXXK", "renovation-permit"),  # its number code, any case
        ("一般派工单", "repair-order"),  # an alias
        ("ｌｐ０７．０１．００．０１", "repair-order"),  # a form code typed full-width
        ("yaoshituoguan", "key-custody-entrustment"),  # full pinyin
    ],
)
def test_best_match_first(finder: FormFinder, q: str, expected: str) -> None:
    assert ids(finder.find(q))[0] == expected


def test_substring_finds_every_form_with_it_and_nothing_else(finder: FormFinder, real_catalogue: Catalogue) -> None:
    found = ids(finder.find("装修"))
    titled = {f.id for f in real_catalogue.forms.values() if "装修" in f.title}
    assert titled <= set(found)
    assert all("装修" in f.title or any("装修" in a for a in f.aliases) for f in finder.find("装修"))
    assert finder.find("完全不存在的表单名") == []


def test_kind_filter_and_empty_query(finder: FormFinder, real_catalogue: Catalogue) -> None:
    assert len(finder.find()) == len(real_catalogue.forms)
    notices = finder.find(kind="notice")
    assert notices and {f.kind for f in notices} == {"notice"}
    assert {f.kind for f in finder.find("催款", kind="notice")} == {"notice"}
    assert finder.find("催款", kind="permit") == []


def test_api_search_by_pinyin_and_kind(client: TestClient) -> None:
    first = client.get("/api/forms", params={"q": "zxxkz"}).json()[0]
    assert first["id"] == "renovation-permit"
    assert first["source"] and first["source"][0].endswith(".txt")
    r = client.get("/api/forms", params={"kind": "nonsense"})
    assert r.status_code == 422 and "类别" in r.json()["detail"]
    assert client.get("/api/forms", params={"q": "x" * 101}).status_code == 422


def test_catalogue_page_searches_filters_and_shows_the_source(client: TestClient) -> None:
    page = client.get("/", params={"q": "zxxkz"}).text
    assert "装修许可证" in page and "出处：" in page
    assert seed_name("003_382533935a6197fa.txt") == "公司品质管理工作制度"
    filtered = client.get("/", params={"kind": "notice"}).text
    assert "催款通知书" in filtered and "装修许可证" not in filtered
