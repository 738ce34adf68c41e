"""Random junk in every field of every form gets Chinese field errors or clean data, never a crash or a 500."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.registry import Catalogue
from app.validation import SubmissionInvalid, validate_submission
from tests.conftest import ROOT

SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=30)
JSON = st.recursive(
    SCALARS | st.floats(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
FORM_IDS = sorted(p.parent.name for p in (ROOT / "forms").glob("*/form.toml"))


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
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


# what a JSON client can send: no NaN or infinity (those are tested as raw bodies below)
WIRE_JSON = st.recursive(
    SCALARS | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=WIRE_JSON)
def test_api_answers_junk_bodies_without_a_server_error(client: TestClient, body: Any) -> None:
    for url in ("/api/forms/arrears-reminder-1/documents", "/api/forms/arrears-reminder-1/preview"):
        r = client.post(url, json=body)
        assert r.status_code in (200, 201, 422), (url, body, r.text)


def test_nan_and_infinity_in_a_raw_body_are_field_errors(client: TestClient) -> None:
    body = b'{"data": {"items": [{"fee_item": "x", "period": "y", "amount": NaN, "late_fee": Infinity}]}}'
    r = client.post(
        "/api/forms/arrears-reminder-1/documents", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    fields = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert "不是数字" in fields["items[1].amount"] and "不是数字" in fields["items[1].late_fee"]
