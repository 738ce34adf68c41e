"""Random junk in every field of every form gets Chinese field errors or clean data, never a crash or a 500."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.registry import Catalogue
from app.validation import SubmissionInvalid, validate_submission
from tests.conftest import ROOT

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
FORM_IDS = sorted(p.parent.name for p in (ROOT / "forms").glob("*/form.toml"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form_index=st.integers(min_value=0, max_value=len(FORM_IDS) - 1), junk=st.data())
def test_validation_never_crashes(real_catalogue: Catalogue, form_index: int, junk: st.DataObject) -> None:
    form = real_catalogue.forms[FORM_IDS[form_index]]
    keys = [f.key for f in form.fields] + ["unknown_key"]
    data: dict[str, Any] = junk.draw(st.dictionaries(st.sampled_from(keys), JSON, max_size=len(keys)))
    try:
        clean = validate_submission(form, data)
    except SubmissionInvalid as exc:
        assert exc.errors
        for e in exc.errors:
            assert e.label and e.message and any("\u4e00" <= ch <= "\u9fff" for ch in e.message)
        return
    assert set(clean) == {f.key for f in form.fields}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=JSON)
def test_api_answers_junk_bodies_without_a_server_error(client: TestClient, body: Any) -> None:
    for url in ("/api/forms/arrears-reminder-1/documents", "/api/forms/arrears-reminder-1/preview"):
        r = client.post(url, json=body)
        assert r.status_code in (200, 201, 422), (url, body, r.text)
