"""Archiving hand-off on the web and the API: 档号, 归档章 and the PDF/A archive copy."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from app.archive import TERM_LABELS, archive_document, parse_archive_code
from app.archive_catalogue import archived_documents, catalogue_classes, catalogue_xlsx
from app.auth.accounts import CurrentUser
from app.auth.policy import visible_projects
from app.auth.web import actor_of, require
from app.index.models import IssuedDocument
from app.issue import InvalidAction
from app.web.api import ERROR_RESPONSES, _file, _load, audit, desk_of, error_json
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


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@api.get(
    "/archive/catalogue.xlsx",
    summary="导出归档文件目录（DA/T 22-2015：按档号排序，每个分类一张表）",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def catalogue(
    request: Request,
    user: Annotated[CurrentUser, Depends(require("archive"))],
    year: Annotated[int | None, Query(ge=1900, le=2999, description="年度（档号中的年度）；不填为全部")] = None,
    project: Annotated[str | None, Query(max_length=40, description="项目代码；不填为有权查看的全部项目")] = None,
) -> Response:
    seen = visible_projects(user)
    projects = seen if project is None else ({project} if seen is None or project in seen else set())
    desk = desk_of(request)
    with desk.db.read() as session:
        docs = archived_documents(session, year=year, projects=projects)
        classes = catalogue_classes(docs, {code: p.company for code, p in desk.projects.items()})
    if not classes:
        return error_json(404, "没有符合条件的已归档文书，未生成归档文件目录")
    count = sum(len(k.entries) for k in classes)
    audit(request, "export", "archive-catalogue", {"year": year, "project": project, "documents": count})
    name = f"归档文件目录-{year}.xlsx" if year else "归档文件目录.xlsx"
    disposition = f"attachment; filename=\"archive-catalogue.xlsx\"; filename*=UTF-8''{quote(name)}"
    return Response(catalogue_xlsx(classes), media_type=XLSX, headers={"Content-Disposition": disposition})


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
