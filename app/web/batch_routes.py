"""Batch arrears notices on the web and the API: upload a ledger, check it, start, watch, download."""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from app.auth.accounts import CurrentUser
from app.auth.web import actor_of, check_project, require
from app.batch.ledger import write_template
from app.batch.service import MAX_UPLOAD, BatchNotFound, BatchRefused, BatchService, batch_summary
from app.web.api import ERROR_RESPONSES, check_issuing_project
from app.web.pages import templates

api = APIRouter(
    prefix="/api/batches", tags=["批量开具"], responses=ERROR_RESPONSES, dependencies=[Depends(require("batches"))]
)
pages = APIRouter(include_in_schema=False, dependencies=[Depends(require("batches"))])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OUTPUT_NAMES = {"print_pdf": "催款通知书-打印.pdf", "docx_zip": "催款通知书-Word.zip", "results": "批量结果.xlsx"}


def _service(request: Request) -> BatchService:
    service: BatchService = request.app.state.batches
    return service


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise BatchRefused(f"批次日期“{value}”无效，应为 2026-11-01 这样的日期") from None


async def _read(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_UPLOAD + 1)
    if not data:
        raise BatchRefused("请选择欠费台账文件（.xlsx）")
    return data


def _links(batch_id: str, outputs: dict[str, Any]) -> dict[str, str]:
    links = {"self": f"/api/batches/{batch_id}", "page": f"/batches/{batch_id}"}
    for name in OUTPUT_NAMES:
        if outputs.get(name):
            links[name] = f"/api/batches/{batch_id}/files/{name}"
    return links


def _json(service: BatchService, batch_id: str) -> dict[str, Any]:
    batch = service.get(batch_id)
    return {**batch_summary(batch), "links": _links(batch.id, batch.outputs or {})}


def _own(request: Request, batch_id: str) -> None:
    """Another project's batch is answered as not found (finance staff work in their own projects)."""
    batch = _service(request).get(batch_id)
    user: CurrentUser = request.state.user
    check_project(request, user, batch.project, str(BatchNotFound(batch_id)))


@api.get("/template", summary="空白欠费台账模板 .xlsx")
def template_xlsx() -> Response:
    buf = io.BytesIO()
    write_template(buf)
    headers = {"Content-Disposition": "attachment; filename*=UTF-8''%E6%AC%A0%E8%B4%B9%E5%8F%B0%E8%B4%A6.xlsx"}
    return Response(buf.getvalue(), media_type=XLSX, headers=headers)


@api.post("/arrears", status_code=202, summary="上传欠费台账，批量开具催款通知书")
async def start_arrears(
    request: Request,
    file: Annotated[UploadFile, File(description="欠费台账 .xlsx")],
    date: Annotated[str, Form(description="批次日期（通知书日期），如 2026-11-01")],
    project: Annotated[str | None, Form(description="项目代码；默认为默认项目")] = None,
    dry_run: Annotated[bool, Form(description="只检查台账，不开具")] = False,
) -> JSONResponse:
    service = _service(request)
    await run_in_threadpool(check_issuing_project, request, request.state.user, project or None)
    batch = service.check(await _read(file), _date(date), project or None, by=actor_of(request))
    if not dry_run:
        service.start(batch.id)
    return JSONResponse(_json(service, batch.id), status_code=202)


@api.get("/{batch_id}", summary="批次状态、数量、进度和下载链接")
def get_batch(request: Request, batch_id: str) -> dict[str, Any]:
    _own(request, batch_id)
    return _json(_service(request), batch_id)


@api.post("/{batch_id}/start", status_code=202, summary="开始开具已检查的批次")
def start_batch(request: Request, batch_id: str) -> JSONResponse:
    _own(request, batch_id)
    service = _service(request)
    service.start(batch_id)
    return JSONResponse(_json(service, batch_id), status_code=202)


@api.get("/{batch_id}/files/{name}", summary="下载批次输出：print_pdf、docx_zip、results")
def batch_file(request: Request, batch_id: str, name: str) -> FileResponse:
    _own(request, batch_id)
    path = _service(request).output(batch_id, name)
    return FileResponse(path, filename=OUTPUT_NAMES[name])


# ---- pages for finance staff ----


@pages.get("/batches/arrears", response_class=HTMLResponse)
def arrears_page(request: Request) -> Response:
    today = dt.date.today().isoformat()
    return templates.TemplateResponse(request, "batch_upload.html", {"today": today, "error": ""})


@pages.post("/batches/arrears")
async def arrears_upload(
    request: Request,
    file: Annotated[UploadFile, File()],
    date: Annotated[str, Form()],
    project: Annotated[str, Form()] = "",
) -> Response:
    service = _service(request)
    await run_in_threadpool(check_issuing_project, request, request.state.user, project or None)
    try:
        batch = service.check(await _read(file), _date(date), project or None, by=actor_of(request))
    except BatchRefused as exc:
        context = {"today": date, "error": str(exc)}
        return templates.TemplateResponse(request, "batch_upload.html", context, status_code=422)
    return RedirectResponse(f"/batches/{batch.id}", status_code=303)


@pages.get("/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(request: Request, batch_id: str) -> Response:
    _own(request, batch_id)
    info = _json(_service(request), batch_id)
    return templates.TemplateResponse(request, "batch.html", {"b": info})


@pages.post("/batches/{batch_id}/start")
def batch_start_page(request: Request, batch_id: str) -> Response:
    _own(request, batch_id)
    _service(request).start(batch_id)
    return RedirectResponse(f"/batches/{batch_id}", status_code=303)
