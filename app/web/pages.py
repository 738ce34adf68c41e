"""Chinese web pages for the front desk: catalogue, form, preview, issue, document, recent list, verification."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from app.auth.accounts import CurrentUser
from app.auth.policy import ROLES, allowed, may_see_full, project_ok
from app.auth.web import check_project, csrf_input, current_user, require
from app.form_finder import seed_name
from app.index.audit import record_event
from app.index.history import ACTION_ZH, check_files, history
from app.index.repository import get_by_number, get_by_token
from app.issue import Desk, DocumentNotFound, InvalidAction, issue_document, preview_document, void_document
from app.masking import mask_parties, mask_text
from app.render.model import format_value
from app.specs import ADDRESS_PARTS, KIND_LABELS, FormSpec
from app.validation import SubmissionInvalid
from app.web.api import audit, check_issuing_project
from app.web.formdata import parse_posted
from app.web.schema import jsonable, pdf_response

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "pages")
SHANGHAI = ZoneInfo("Asia/Shanghai")
STATUS_ZH = {"issued": "有效", "voided": "已作废", "disposed": "已销毁"}
# the verification page also says 已过期, computed from valid_to
VERIFY_STATUS = STATUS_ZH


def _local(value: dt.datetime | None) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""


templates.env.filters["local"] = _local
templates.env.globals.update(KIND_LABELS=KIND_LABELS, ADDRESS_PARTS=ADDRESS_PARTS, STATUS_ZH=STATUS_ZH)
templates.env.filters["mask"] = mask_parties  # personal names and numbers in lists
templates.env.globals["csrf_input"] = csrf_input
templates.env.globals["ROLES"] = ROLES
Signed = Annotated[CurrentUser, Depends(current_user)]
Issuer = Annotated[CurrentUser, Depends(require("documents.issue"))]
Reader = Annotated[CurrentUser, Depends(require("documents.read"))]
Voider = Annotated[CurrentUser, Depends(require("documents.void"))]


def _desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def error_page(request: Request, status: int, message: str) -> Response:
    return templates.TemplateResponse(request, "error.html", {"status": status, "message": message}, status_code=status)


@router.get("/", response_class=HTMLResponse)
def catalogue(request: Request, _user: Signed, q: str = "", kind: str = "") -> Response:
    desk = _desk(request)
    kind = kind if kind in KIND_LABELS else ""
    groups: dict[str, list[FormSpec]] = {}
    # best matches first when searching, alphabetical by title otherwise
    # system forms (the 档案销毁清册) are issued by their workflow only, never from the catalogue
    for form in desk.catalogue.finder.find(q[:100], kind):
        if not form.system:
            groups.setdefault(form.kind, []).append(form)
    counts: dict[str, int] = {}
    for form in desk.catalogue.forms.values():
        if not form.system:
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
    replaces: str = "",
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
            "replaces": replaces,
            "projects": desk.projects,
            "project": project,
            "kind_label": KIND_LABELS[form.kind],
        },
        status_code=status,
    )


@router.get("/forms/{form_id}", response_class=HTMLResponse)
def form_page(request: Request, _user: Signed, form_id: str, example: bool = False, replaces: str = "") -> Response:
    desk = _desk(request)
    form = desk.form(form_id)
    values = jsonable(desk.catalogue.examples[form_id]) if example else {}
    project = desk.default_project
    if replaces:
        # re-issuing a voided document: its data is the starting point, corrected before issuing
        with desk.db.read() as session:
            old = get_by_number(session, replaces[:80])
        if old is None or old.form_id != form_id or not project_ok(_user, old.project):
            raise DocumentNotFound(replaces[:80])
        values, project = jsonable(old.data), old.project
    return _form_page(request, form, values, [], project, replaces=replaces[:80])


async def _posted(request: Request, form: FormSpec) -> tuple[dict[str, Any], str, str]:
    posted = await request.form()
    data = parse_posted(form, posted.multi_items())
    project = str(posted.get("_project") or _desk(request).default_project)
    return data, project, str(posted.get("_replaces") or "")[:80]


@router.post("/forms/{form_id}/preview")
async def preview_page(request: Request, user: Issuer, form_id: str) -> Response:
    desk = _desk(request)
    form = desk.form(form_id)
    data, project, replaces = await _posted(request, form)
    await run_in_threadpool(check_issuing_project, request, user, project)
    try:
        pdf = preview_document(desk, form_id, data, project=project)
    except SubmissionInvalid as exc:
        return _form_page(request, form, data, [e.as_dict() for e in exc.errors], project, 422, replaces)
    return pdf_response(pdf, f"{form_id}-preview.pdf")


@router.post("/forms/{form_id}/issue")
async def issue_page(request: Request, user: Issuer, form_id: str) -> Response:
    desk = _desk(request)
    form = desk.form(form_id)
    if form.system:
        return error_page(request, 409, f"“{form.title}”由系统在业务流程中开具，不能直接开具")
    data, project, replaces = await _posted(request, form)
    await run_in_threadpool(check_issuing_project, request, user, project)
    try:
        doc = issue_document(desk, form_id, data, project=project, issued_by=user.name, replaces=replaces or None)
    except SubmissionInvalid as exc:
        return _form_page(request, form, data, [e.as_dict() for e in exc.errors], project, 422, replaces)
    return RedirectResponse(f"/documents/{doc.number}?issued=1", status_code=303)


# the archivist's search page /documents: app/web/search_routes.py


@router.get("/documents/{number}", response_class=HTMLResponse)
def document_page(request: Request, user: Reader, number: str, issued: bool = False) -> Response:
    desk = _desk(request)
    with desk.db.read() as session:
        doc = get_by_number(session, number)
    if doc is None:
        raise DocumentNotFound(number)
    check_project(request, user, doc.project, str(DocumentNotFound(number)))
    full = may_see_full(user, doc.project)
    # ID numbers and phones in full are an audited view, for the roles that need them; others see them masked
    audit(request, "view", number, {"personal_data": "full" if full else "masked"})
    form = desk.catalogue.get(doc.form_id)
    shown: list[tuple[str, str]] = []
    if form is not None:
        for f in form.fields:
            if f.type == "table":
                shown.append((f.label, f"{len(doc.data.get(f.key) or [])} 行"))
            else:
                value = format_value(f, doc.data.get(f.key)).strip("\u3000 ") or "—"
                shown.append((f.label, value if full else mask_text(value)))
    copies = [c.label for c in form.copies] if form is not None else []
    with desk.db.read() as session:
        events = history(session, number)
    return templates.TemplateResponse(
        request,
        "document.html",
        {
            "doc": doc,
            "shown": shown,
            "issued": issued,
            "verify_url": desk.verify_url(doc.verify_token),
            "copies": copies,
            "files": check_files(doc, desk.output_dir),
            "events": events,
            "ACTION_ZH": ACTION_ZH,
            "can_reissue": doc.status == "voided"
            and not doc.replaced_by
            and form is not None
            and allowed(user, "documents.issue"),
            "full": full,
            "may": {p: allowed(user, p) for p in ("documents.void", "archive", "records")},
        },
    )


@router.post("/documents/{number}/void")
async def void_page(request: Request, user: Voider, number: str) -> Response:
    desk = _desk(request)
    posted = await request.form()
    reason = str(posted.get("reason") or "")
    with desk.db.read() as session:
        doc = get_by_number(session, number)
    if doc is None:
        raise DocumentNotFound(number)
    await run_in_threadpool(check_project, request, user, doc.project, str(DocumentNotFound(number)))
    try:
        void_document(desk, number, reason, by=user.name)
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
