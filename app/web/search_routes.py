"""Searching the issued-document index on the web and the API: filters, paging, sorting, .xlsx export.

Routes: GET /api/documents (the list with every filter), GET /api/documents.xlsx (the same filters, as a
workbook; a sibling path, since /api/documents/{number} would take /api/documents/export.xlsx for a number),
and the archivist's page GET /documents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.auth.accounts import CurrentUser
from app.auth.policy import allowed, permission_label, visible_projects
from app.auth.web import PermissionDenied, current_user, record_denied, require
from app.index.search import (
    COUNT_CAP,
    RETENTION_LABELS,
    SORT_LABELS,
    STATUS_LABELS,
    SearchQuery,
    advanced,
    export_documents,
    iter_pages,
    parse_query,
    search_documents,
    total_label,
    xlsx_bytes,
)
from app.masking import mask_parties
from app.rooms import room_label
from app.specs import KIND_LABELS
from app.validation import SubmissionInvalid
from app.web.api import ERROR_RESPONSES, audit, desk_of, document_summary
from app.web.pages import templates

api = APIRouter(prefix="/api", tags=["API"], responses=ERROR_RESPONSES, dependencies=[Depends(current_user)])
pages = APIRouter(include_in_schema=False)
Reader = Annotated[CurrentUser, Depends(require("documents.read"))]
Searcher = Annotated[CurrentUser, Depends(require("search"))]
SHANGHAI = ZoneInfo("Asia/Shanghai")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE_CHOICES = (20, 50, 100, 200)
Q_HELP = "任意文字：编号、表单名称、姓名（任意部分）、拼音首字母、房号、填写内容；空格分隔的词须同时出现"
ROOM_HELP = "房号，任意写法：3栋2单元1502、3#2-1502、3-2-1502；3栋 或 3栋2单元 查整栋/整单元"


def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def _choices(labels: dict[str, str]) -> str:
    return "、".join(f"{k}（{v}）" for k, v in labels.items())


def search_query(
    q: Annotated[str, Query(description=Q_HELP)] = "",
    number: Annotated[str, Query(description="编号；结尾为 - 或 * 时按前缀查，如 HL-CK1-2026-")] = "",
    form: Annotated[str, Query(description="表单编号，如 arrears-reminder-1")] = "",
    kind: Annotated[str, Query(description="类别：" + _choices(KIND_LABELS))] = "",
    project: Annotated[str, Query(description="项目代码，如 HL")] = "",
    room: Annotated[str, Query(description=ROOM_HELP)] = "",
    party: Annotated[str, Query(description="当事人：姓名的任意部分（如 建国），或拼音首字母（如 wjg）")] = "",
    date_from: Annotated[str, Query(description="文书日期起（含），如 2026-01-01")] = "",
    date_to: Annotated[str, Query(description="文书日期止（含），如 2026-12-31")] = "",
    status: Annotated[str, Query(description="状态：" + _choices(STATUS_LABELS))] = "",
    retention: Annotated[str, Query(description="保存状态：" + _choices(RETENTION_LABELS))] = "",
    as_of: Annotated[str, Query(description="判断是否到期的日期，默认今天")] = "",
    sort: Annotated[str, Query(description="排序：" + _choices(SORT_LABELS))] = "issued_at",
    order: Annotated[str, Query(description="顺序：desc（新到旧，默认）或 asc")] = "desc",
    page: Annotated[str, Query(description="页码，从 1 开始")] = "",
    per_page: Annotated[str, Query(description="每页条数，1–200，默认 50")] = "",
    limit: Annotated[int | None, Query(ge=1, le=500, description="每页条数（旧参数，同 per_page，最多 500）")] = None,
    offset: Annotated[int | None, Query(ge=0, le=10_000_000, description="起始位置（旧参数，优先于 page）")] = None,
) -> SearchQuery:
    """The filters of GET /api/documents and its export; bad values give 422 naming each filter in Chinese."""
    return parse_query(
        {
            "q": q,
            "number": number,
            "form": form,
            "kind": kind,
            "project": project,
            "room": room,
            "party": party,
            "date_from": date_from,
            "date_to": date_to,
            "status": status,
            "retention": retention,
            "as_of": as_of,
            "sort": sort,
            "order": order,
            "page": page,
            "per_page": per_page,
            "limit": "" if limit is None else str(limit),
            "offset": "" if offset is None else str(offset),
        }
    )


def scoped(request: Request, user: CurrentUser, query: SearchQuery) -> SearchQuery:
    """The query limited to the user's projects; advanced filters need the archivist's "search" permission.

    Every role lists the documents of its projects by text, form, project and status; number, room,
    party, date and retention filters and the export are the archivist's index (app.auth.policy).
    """
    used = advanced(query)
    if used and not allowed(user, "search"):
        record_denied(request, user, "search", filters="、".join(used))
        raise PermissionDenied(f"没有权限：{permission_label('search')}（{'、'.join(used)}）")
    seen = visible_projects(user)
    return replace(query, projects=None if seen is None else frozenset(seen))


def result_item(doc: Any) -> dict[str, Any]:
    """A document of a result list: its index entry (parties masked) with its room and kind."""
    return {
        **document_summary(doc, masked=True),
        "kind": doc.kind,
        "room": doc.room,
        "room_label": room_label(doc.room),
        "status_label": STATUS_LABELS.get(doc.status, doc.status),
    }


@api.get(
    "/documents",
    summary="查找已开具文书（筛选、分页、排序）",
    description="只列出本人所属项目的文书，当事人已脱敏。编号、房号、当事人、日期与保存状态筛选须有“检索文书”权限。",
)
def list_documents(
    request: Request, user: Reader, query: Annotated[SearchQuery, Depends(search_query)]
) -> dict[str, Any]:
    query = scoped(request, user, query)
    with desk_of(request).db.read() as session:
        rows, total = search_documents(session, query, today=today())
        items = [result_item(r) for r in rows]
    return {
        "items": items,
        "total": min(total, COUNT_CAP),
        "total_capped": total > COUNT_CAP,
        "total_label": total_label(total),
        "page": query.page if query.offset is None else query.start // query.per_page + 1,
        "per_page": query.per_page,
    }


@api.get(
    "/documents.xlsx",
    summary="导出查找结果为 Excel（筛选同 /api/documents，最多 10000 份）",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def export_xlsx(request: Request, user: Searcher, query: Annotated[SearchQuery, Depends(search_query)]) -> Response:
    query = scoped(request, user, query)
    day = today()
    with desk_of(request).db.read() as session:
        rows, more = export_documents(session, query, today=day)
        body = xlsx_bytes(rows, more, query, today=day)
    audit(request, "export", "documents", {"filters": query.filters(), "rows": len(rows), "more": more})
    name = f"文书查询结果-{day.isoformat()}.xlsx"
    disposition = f"attachment; filename=\"documents-{day.isoformat()}.xlsx\"; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": disposition})


# ---------------------------------------------------------------------------------------------- the page


def _link(filters: dict[str, str], **changes: Any) -> str:
    params = {**filters, **{k: str(v) for k, v in changes.items() if v not in (None, "")}}
    for k, v in changes.items():
        if v in (None, ""):
            params.pop(k, None)
    return urlencode(params)


@pages.get("/documents", response_class=HTMLResponse)
def documents_page(request: Request, user: Reader) -> Response:
    """The archivist's search page: every filter, the results (parties masked), paging, sorting, export.

    Other roles get the plain list of their projects' documents (text, form, project, status).
    """
    desk = desk_of(request)
    raw = dict(request.query_params)
    errors: list[dict[str, str]] = []
    try:
        query = scoped(request, user, parse_query(raw))
    except SubmissionInvalid as exc:
        errors = [e.as_dict() for e in exc.errors]
        query = scoped(request, user, SearchQuery())
    rows: list[Any] = []
    total = 0
    if not errors:
        with desk.db.read() as session:
            rows, total = search_documents(session, query, today=today())
    filters = query.filters()
    forms_by_kind: dict[str, list[tuple[str, str]]] = {}
    for f in sorted(desk.catalogue.forms.values(), key=lambda f: f.title):
        forms_by_kind.setdefault(f.kind, []).append((f.id, f.title))
    last = max(1, -(-min(total, COUNT_CAP) // query.per_page))
    return templates.TemplateResponse(
        request,
        "documents.html",
        {
            "rows": rows,
            "total": total,
            "total_label": total_label(total),
            "capped": total > COUNT_CAP,
            "query": query,
            "raw": raw,
            "errors": errors,
            "filters": filters,
            "filtered": bool(filters.keys() - {"sort", "order", "per_page"}),
            "projects": {k: v for k, v in desk.projects.items() if query.projects is None or k in query.projects},
            "archivist": allowed(user, "search"),
            "can_archive": allowed(user, "archive"),
            "forms_by_kind": [(k, KIND_LABELS[k], forms_by_kind[k]) for k in KIND_LABELS if k in forms_by_kind],
            "status_labels": STATUS_LABELS,
            "retention_labels": RETENTION_LABELS,
            "sort_labels": SORT_LABELS,
            "per_page_choices": PER_PAGE_CHOICES,
            "pages": list(iter_pages(total, query.page, query.per_page)),
            "last_page": last,
            "link": lambda **changes: _link(filters, **changes),
            "export_link": "/api/documents.xlsx?" + urlencode(filters),
            "room_label": room_label,
            "mask": mask_parties,
            "today": today(),
        },
    )
