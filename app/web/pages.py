"""Chinese web pages for the front desk: catalogue, form, preview, issue, document, recent list, verification."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from app.form_finder import seed_name
from app.index.audit import record_event
from app.index.repository import get_by_number, get_by_token, search
from app.issue import Desk, DocumentNotFound, InvalidAction, issue_document, preview_document, void_document
from app.masking import mask_parties
from app.render.model import format_value
from app.specs import ADDRESS_PARTS, KIND_LABELS, FormSpec
from app.validation import SubmissionInvalid
from app.web.api import audit
from app.web.formdata import parse_posted
from app.web.schema import jsonable, pdf_response

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "pages")
SHANGHAI = ZoneInfo("Asia/Shanghai")
STATUS_ZH = {"issued": "有效", "voided": "已作废"}
# the verification page also knows 已销毁 (disposed, issue 5); 已过期 is computed from valid_to
VERIFY_STATUS = {**STATUS_ZH, "disposed": "已销毁"}


def _local(value: dt.datetime | None) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""


templates.env.filters["local"] = _local
templates.env.globals.update(KIND_LABELS=KIND_LABELS, ADDRESS_PARTS=ADDRESS_PARTS, STATUS_ZH=STATUS_ZH)
templates.env.filters["mask"] = mask_parties  # personal names and numbers in lists


def _desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def error_page(request: Request, status: int, message: str) -> Response:
    return templates.TemplateResponse(request, "error.html", {"status": status, "message": message}, status_code=status)


@router.get("/", response_class=HTMLResponse)
def catalogue(request: Request, q: str = "", kind: str = "") -> Response:
    desk = _desk(request)
    kind = kind if kind in KIND_LABELS else ""
    groups: dict[str, list[FormSpec]] = {}
    # best matches first when searching, alphabetical by title otherwise
    for form in desk.catalogue.finder.find(q[:100], kind):
        groups.setdefault(form.kind, []).append(form)
    counts: dict[str, int] = {}
    for form in desk.catalogue.forms.values():
        counts[form.kind] = counts.get(form.kind, 0) + 1
    ordered = [(k, KIND_LABELS[k], groups[k]) for k in KIND_LABELS if k in groups]
    return templates.TemplateResponse(
        request,
        "catalogue.html",
        {
            "groups": ordered,
            "q": q,
            "kind": kind,
            "kinds": [(k, v, counts.get(k, 0)) for k, v in KIND_LABELS.items() if counts.get(k)],
            "total": sum(len(v) for v in groups.values()),
            "seed_name": seed_name,
            "broken": desk.catalogue.broken,
        },
    )


def _form_page(
    request: Request,
    form: FormSpec,
    values: dict[str, Any],
    errors: list[dict[str, str]],
    project: str,
    status: int = 200,
) -> Response:
    desk = _desk(request)
    by_field: dict[str, list[str]] = {}
    for e in errors:
        top = e["field"].split("[")[0].split(".")[0]
        by_field.setdefault(top, []).append(f"{e['label']}：{e['message']}")
    return templates.TemplateResponse(
        request,
        "form.html",
        {
            "form": form,
            "values": values,
            "errors": errors,
            "by_field": by_field,
            "projects": desk.projects,
            "project": project,
            "kind_label": KIND_LABELS[form.kind],
        },
        status_code=status,
    )


@router.get("/forms/{form_id}", response_class=HTMLResponse)
def form_page(request: Request, form_id: str, example: bool = False) -> Response:
    desk = _desk(request)
    form = desk.form(form_id)
    values = jsonable(desk.catalogue.examples[form_id]) if example else {}
    return _form_page(request, form, values, [], desk.default_project)


async def _posted(request: Request, form: FormSpec) -> tuple[dict[str, Any], str]:
    posted = await request.form()
    data = parse_posted(form, posted.multi_items())
    project = str(posted.get("_project") or _desk(request).default_project)
    return data, project


@router.post("/forms/{form_id}/preview")
async def preview_page(request: Request, form_id: str) -> Response:
    desk = _desk(request)
    form = desk.form(form_id)
    data, project = await _posted(request, form)
    try:
        pdf = preview_document(desk, form_id, data, project=project)
    except SubmissionInvalid as exc:
        return _form_page(request, form, data, [e.as_dict() for e in exc.errors], project, 422)
    return pdf_response(pdf, f"{form_id}-preview.pdf")


@router.post("/forms/{form_id}/issue")
async def issue_page(request: Request, form_id: str) -> Response:
    desk = _desk(request)
    form = desk.form(form_id)
    data, project = await _posted(request, form)
    try:
        doc = issue_document(desk, form_id, data, project=project, issued_by="前台")
    except SubmissionInvalid as exc:
        return _form_page(request, form, data, [e.as_dict() for e in exc.errors], project, 422)
    return RedirectResponse(f"/documents/{doc.number}?issued=1", status_code=303)


@router.get("/documents", response_class=HTMLResponse)
def documents_page(request: Request, q: str = "", status: str = "", page: int = 1) -> Response:
    desk = _desk(request)
    page = max(1, min(page, 100000))
    status = status if status in ("issued", "voided") else ""
    with desk.db.read() as session:
        rows, total = search(session, q=q[:100], status=status, limit=50, offset=(page - 1) * 50)
    return templates.TemplateResponse(
        request,
        "documents.html",
        {
            "rows": rows,
            "total": total,
            "q": q,
            "status": status,
            "page": page,
        },
    )


@router.get("/documents/{number}", response_class=HTMLResponse)
def document_page(request: Request, number: str, issued: bool = False) -> Response:
    desk = _desk(request)
    with desk.db.read() as session:
        doc = get_by_number(session, number)
    if doc is None:
        raise DocumentNotFound(number)
    audit(request, "view", number)
    form = desk.catalogue.get(doc.form_id)
    shown: list[tuple[str, str]] = []
    if form is not None:
        for f in form.fields:
            if f.type == "table":
                shown.append((f.label, f"{len(doc.data.get(f.key) or [])} 行"))
            else:
                shown.append((f.label, format_value(f, doc.data.get(f.key)).strip("\u3000 ") or "—"))
    return templates.TemplateResponse(
        request,
        "document.html",
        {
            "doc": doc,
            "shown": shown,
            "issued": issued,
            "verify_url": desk.verify_url(doc.verify_token),
        },
    )


@router.post("/documents/{number}/void")
async def void_page(request: Request, number: str) -> Response:
    desk = _desk(request)
    posted = await request.form()
    reason = str(posted.get("reason") or "")
    try:
        void_document(desk, number, reason, by="前台")
    except SubmissionInvalid as exc:
        return error_page(request, 422, "；".join(f"{e.label}：{e.message}" for e in exc.errors))
    except InvalidAction as exc:
        return error_page(request, 409, str(exc))
    return RedirectResponse(f"/documents/{number}", status_code=303)


@router.get("/v/{token}", response_class=HTMLResponse)
def verify_page(request: Request, token: str) -> Response:
    """Public: what a guard or an owner holding the paper may know — no data beyond the masked parties."""
    desk = _desk(request)
    if not 10 <= len(token) <= 40:
        return templates.TemplateResponse(request, "verify.html", {"doc": None}, status_code=404)
    with desk.db.write() as session:
        doc = get_by_token(session, token)
        if doc is None:
            return templates.TemplateResponse(request, "verify.html", {"doc": None}, status_code=404)
        doc.verify_scans = (doc.verify_scans or 0) + 1  # every scan is counted
        client = request.client.host if request.client else ""
        record_event(session, "verify", doc.number, actor="public", client=client, detail={"scan": doc.verify_scans})
        session.flush()
        today = dt.datetime.now(SHANGHAI).date()
        expired = doc.valid_to is not None and doc.valid_to < today and doc.status == "issued"
        letterhead = desk.projects.get(doc.project)
        info = {
            "number": doc.number,
            "title": doc.form_title,
            "project": letterhead.project_name if letterhead else doc.project,
            "date": f"{doc.document_date.year}年{doc.document_date.month}月{doc.document_date.day}日",
            "valid_from": doc.valid_from,
            "valid_to": doc.valid_to,
            "status": "expired" if expired else doc.status,
            "status_label": "已过期" if expired else VERIFY_STATUS.get(doc.status, doc.status),
            "parties": mask_parties(doc.parties),
            "scans": doc.verify_scans,
        }
    return templates.TemplateResponse(request, "verify.html", {"doc": info})
