"""Archiving hand-off on the web and the API: 档号, 归档章 and the PDF/A archive copy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from app.archive import TERM_LABELS, archive_document, parse_archive_code
from app.auth.web import actor_of, require
from app.index.models import IssuedDocument
from app.issue import InvalidAction
from app.web.api import ERROR_RESPONSES, _file, _load, desk_of, error_json
from app.web.pages import error_page

api = APIRouter(prefix="/api", tags=["归档"], responses=ERROR_RESPONSES, dependencies=[Depends(require("archive"))])
pages = APIRouter(include_in_schema=False, dependencies=[Depends(require("archive"))])


class ArchiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stamp: bool = Field(default=True, description="首页是否加盖归档章")


def archive_summary(doc: IssuedDocument) -> dict[str, Any]:
    """What archiving assigned: the 档号 and its parts, who and when, and the archive copy."""
    code = doc.archive_code or ""
    parts = parse_archive_code(code)
    return {
        "number": doc.number,
        "archive_code": code,
        "archive_parts": {**parts, "term_label": TERM_LABELS[parts["term"]]},
        "archived_at": doc.archived_at.isoformat() if doc.archived_at else None,
        "archived_by": doc.archived_by,
        "archive_pdf": {"path": doc.archive_pdf_path, "sha256": doc.archive_pdf_sha256},
        "links": {
            "archive_pdf": f"/api/documents/{doc.number}/archive.pdf",
            "document": f"/api/documents/{doc.number}",
            "page": f"/documents/{doc.number}",
        },
    }


@api.post("/documents/{number}/archive", summary="归档：编档号（DA/T 22-2015），生成 PDF/A-3b 归档件")
def archive(request: Request, number: str, body: Annotated[ArchiveIn | None, Body()] = None) -> dict[str, Any]:
    stamp = body.stamp if body is not None else True
    _load(request, number)  # another project's document is not found
    doc = archive_document(desk_of(request), number, stamp=stamp, by=actor_of(request), client=_client(request))
    return archive_summary(doc)


@api.get(
    "/documents/{number}/archive.pdf",
    summary="下载归档件（PDF/A-3b，内嵌 JSON 数据）",
    response_class=FileResponse,
    responses={200: {"content": {"application/pdf": {}}}},
)
def archive_pdf(request: Request, number: str, inline: bool = False) -> Response:
    doc = _load(request, number)
    if not doc.archive_pdf_path or not doc.archive_code:
        return error_json(404, f"文书 {number} 尚未归档，没有归档件")
    return _file(request, doc.archive_pdf_path, f"{doc.archive_code}.pdf", "application/pdf", inline)


@pages.post("/documents/{number}/archive")
async def archive_page(request: Request, number: str) -> Response:
    """The document page's 「归档」 form: `stamp` is sent when 首页加盖归档章 is ticked."""
    posted = await request.form()
    await run_in_threadpool(_load, request, number)
    try:
        archive_document(
            desk_of(request), number, stamp=bool(posted.get("stamp")), by=actor_of(request), client=_client(request)
        )
    except InvalidAction as exc:
        return error_page(request, 409, str(exc))
    return RedirectResponse(f"/documents/{number}?archived=1", status_code=303)


def _client(request: Request) -> str:
    return request.client.host if request.client else ""
