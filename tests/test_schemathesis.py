"""Schemathesis against the OpenAPI schema: no server error, no response outside the documented schema."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from app.auth.accounts import create_token
from app.config import Settings
from app.web.main import create_app

_tmp = Path(tempfile.mkdtemp(prefix="docdesk-schemathesis-"))
atexit.register(shutil.rmtree, _tmp, True)
app = create_app(
    Settings(database_url=f"sqlite:///{_tmp / 'index.db'}", output_dir=_tmp / "output", docx_workers=0, batch_workers=1)
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
# as the administrator (every route open to it); tests/test_access.py covers the refusals of everyone else
with app.state.desk.db.write() as _session:
    AUTH = {"Authorization": f"Bearer {create_token(_session, 'admin')[1]}"}


@schema.parametrize()
@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_survives_generated_requests(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=AUTH, checks=[not_a_server_error, response_schema_conformance])
