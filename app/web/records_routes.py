"""Retention, legal holds and disposal on the web and the API (the archivist's pages)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.auth.accounts import CurrentUser
from app.auth.policy import project_ok, visible_projects
from app.auth.web import PermissionDenied, actor_of, check_project, record_denied, require
from app.disposal import (
    DEFAULT_METHODS,
    DEFAULT_REASON,
    DISPOSAL_STATUS,
    METHODS,
    DisposalNotFound,
    cancel_disposal,
    confirm_disposal,
    disposal_documents,
    disposal_json,
    get_disposal,
    list_disposals,
    propose_disposal,
    retention_due,
)
from app.holds import SCOPES, HoldNotFound, covered_count, hold_json, list_holds, place_hold, release_hold
from app.index.models import Disposal, LegalHold
from app.index.repository import get_by_number
from app.issue import Desk, DocumentNotFound, InvalidAction
from app.numbering import document_day
from app.validation import FieldError, SubmissionInvalid
from app.web.api import ERROR_RESPONSES, error_json
from app.web.pages import error_page, templates

api = APIRouter(
    prefix="/api", tags=["保存期限、保全与销毁"], responses=ERROR_RESPONSES, dependencies=[Depends(require("records"))]
)
pages = APIRouter(include_in_schema=False, dependencies=[Depends(require("records"))])
# ids in paths: an integer column's range (a larger one is simply not found, never a database error)
RowId = Annotated[int, Path(ge=1, le=2_147_483_647, description="编号")]
DUE_LIMIT = 500  # rows per list on the page and in the API (a register holds at most 500)


def _desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def _today() -> dt.date:
    return document_day(dt.datetime.now(dt.UTC))


def _date(value: str | None, field: str, label: str) -> dt.date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SubmissionInvalid([FieldError(field, label, f"“{text}”不是日期，应如 2026-11-30")]) from None


def _project(desk: Desk, project: str | None) -> str | None:
    code = (project or "").strip()
    if code and code not in desk.projects:
        choices = "、".join(desk.projects)
        raise SubmissionInvalid([FieldError("project", "项目", f"没有代码为“{code}”的项目，可选：{choices}")])
    return code or None


def _user(request: Request) -> CurrentUser:
    user: CurrentUser = request.state.user
    return user


def _scope_project(
    request: Request, desk: Desk, project: str | None, *, pick: bool = False, require_one: bool = True
) -> str | None:
    """The project an archivist works on: theirs only (administrators: any, or all when none is named).

    `pick`: an archivist of several projects who named none gets the first of them; `require_one=False`:
    gets None, and the caller limits its lists to the user's projects.
    """
    code = _project(desk, project)
    mine = visible_projects(_user(request))
    if mine is None:
        return code
    if code is None:
        if len(mine) == 1 or (pick and mine):
            return sorted(mine)[0]
        if not require_one:
            return None  # the caller limits its lists to visible_projects()
        raise SubmissionInvalid([FieldError("project", "项目", "请选择项目：" + "、".join(sorted(mine)))])
    if code not in mine:
        record_denied(request, _user(request), "project", project=code)
        raise PermissionDenied(f"没有权限：项目 {code}")
    return code


def _hold_project(request: Request, desk: Desk, project: str | None) -> str | None:
    """A room or party hold without a project covers every project: only for whoever works in all of them."""
    mine = visible_projects(_user(request))
    covers_all = mine is None or set(desk.projects) <= mine
    return _scope_project(request, desk, project, require_one=not covers_all)


def _own_numbers(request: Request, desk: Desk, numbers: list[str]) -> None:
    """Documents of another project are refused as unknown (404), whatever else is asked of them."""
    user = _user(request)
    if visible_projects(user) is None:
        return
    with desk.db.read() as session:
        for number in numbers:
            doc = get_by_number(session, number)
            if doc is not None:
                check_project(request, user, doc.project, str(DocumentNotFound(number)))


def _hold_visible(session: Session, user: CurrentUser, hold: LegalHold, projects: Collection[str]) -> bool:
    """A hold is seen by whoever works where it applies (one without a project applies to all `projects`)."""
    mine = visible_projects(user)
    if mine is None:
        return True
    if hold.scope == "document":
        doc = get_by_number(session, hold.value)
        return doc is not None and project_ok(user, doc.project)
    return project_ok(user, hold.project) if hold.project is not None else set(projects) <= mine


def _disposal_visible(session: Session, user: CurrentUser, disposal: Disposal) -> bool:
    if visible_projects(user) is None:
        return True
    register = get_by_number(session, disposal.register_number)
    return register is not None and project_ok(user, register.project)


def _own_disposal(request: Request, disposal_id: RowId) -> None:
    with _desk(request).db.read() as session:
        disposal = get_disposal(session, disposal_id)
        if not _disposal_visible(session, _user(request), disposal):
            raise DisposalNotFound(disposal_id)


def _own_hold(request: Request, hold_id: RowId) -> None:
    with _desk(request).db.read() as session:
        hold = session.get(LegalHold, hold_id)
        if hold is None or not _hold_visible(session, _user(request), hold, _desk(request).projects):
            raise HoldNotFound(hold_id)


def _messages(exc: SubmissionInvalid) -> list[str]:
    # a refused document's message starts with its number already
    return [e.message if e.field.startswith("numbers[") else f"{e.label}：{e.message}" for e in exc.errors]


# ---- API ----


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: str = Field(description="保全范围：document（一份文书）、room（一个房号）、party（一位当事人）")
    value: str = Field(max_length=200, description="文书编号、房号（如 3-2-1502、3栋2单元1502室）或当事人姓名")
    reason: str = Field(max_length=2000, description="保全原因，如案号、争议事项（必填）")
    project: str | None = Field(default=None, description="房号、当事人保全限定的项目代码；不填则覆盖所有项目")


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=2000, description="解除原因（必填），如已结案")


class ProposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    numbers: list[str] = Field(max_length=5000, description="拟销毁的文书编号（均须已到期、未保全）")
    as_of: str | None = Field(default=None, description="到期核对日，默认今天，不能晚于今天")
    reason: str = Field(default=DEFAULT_REASON, max_length=200, description="销毁原因")
    methods: list[str] | None = Field(default=None, description="销毁方式：" + "、".join(METHODS))
    planned_date: str | None = Field(default=None, description="拟销毁日期，默认今天")
    note: str = Field(default="", max_length=1000, description="备注")
    project: str | None = Field(default=None, description="清册所属项目；默认为文书所属项目（多个项目时为默认项目）")


@api.get("/retention/due", summary="保存期限已到期的文书")
def due_api(
    request: Request,
    as_of: str = Query("", max_length=10, description="到期核对日，默认今天"),
    project: str = Query("", max_length=40, description="项目代码"),
) -> dict[str, Any]:
    desk = _desk(request)
    day = _date(as_of, "as_of", "到期核对日") or _today()
    code = _scope_project(request, desk, project, require_one=False)
    mine = visible_projects(_user(request))
    with desk.db.read() as session:
        return retention_due(session, day, code, limit=DUE_LIMIT, projects=mine).json()


@api.get("/holds", summary="保全列表")
def holds_api(request: Request, all: bool = Query(False, description="含已解除的保全")) -> list[dict[str, Any]]:
    user, desk = _user(request), _desk(request)
    with desk.db.read() as session:
        holds = [h for h in list_holds(session, active_only=not all) if _hold_visible(session, user, h, desk.projects)]
        return [{**hold_json(h), "documents": covered_count(session, h)} for h in holds]


@api.post("/holds", status_code=201, summary="设置保全（诉讼保全/争议冻结）")
def place_hold_api(request: Request, body: HoldIn) -> dict[str, Any]:
    desk = _desk(request)
    project = body.project
    if body.scope == "document":
        _own_numbers(request, desk, [body.value.strip()])
    elif body.scope in SCOPES:
        project = _hold_project(request, desk, body.project)
    hold = place_hold(
        desk.db, body.scope, body.value, body.reason, actor_of(request), project, projects=list(desk.projects)
    )
    with desk.db.read() as session:
        return {**hold_json(hold), "documents": covered_count(session, hold)}


@api.post("/holds/{hold_id}/release", summary="解除保全", response_model=None)
def release_hold_api(request: Request, hold_id: RowId, body: ReleaseIn) -> dict[str, Any] | Response:
    try:
        _own_hold(request, hold_id)
        hold = release_hold(_desk(request).db, hold_id, body.reason, actor_of(request))
    except HoldNotFound as exc:
        return error_json(404, str(exc))
    return hold_json(hold)


@api.get("/disposals", summary="销毁记录列表")
def disposals_api(request: Request) -> list[dict[str, Any]]:
    user = _user(request)
    with _desk(request).db.read() as session:
        return [disposal_json(d) for d in list_disposals(session) if _disposal_visible(session, user, d)]


@api.post("/disposals", status_code=201, summary="生成档案销毁清册（待确认，不删除任何文件）")
def propose_api(request: Request, body: ProposeIn) -> dict[str, Any]:
    desk = _desk(request)
    _own_numbers(request, desk, body.numbers)
    if body.project:
        _scope_project(request, desk, body.project)
    disposal = propose_disposal(
        desk,
        body.numbers,
        as_of=_date(body.as_of, "as_of", "到期核对日"),
        by=actor_of(request),
        reason=body.reason,
        methods=body.methods,
        planned_date=_date(body.planned_date, "planned_date", "拟销毁日期"),
        note=body.note,
        project=_project(desk, body.project),
    )
    return _disposal_detail(desk, disposal.id)


@api.get("/disposals/{disposal_id}", summary="销毁记录详情", response_model=None)
def disposal_api(request: Request, disposal_id: RowId) -> dict[str, Any] | Response:
    try:
        _own_disposal(request, disposal_id)
        return _disposal_detail(_desk(request), disposal_id)
    except DisposalNotFound as exc:
        return error_json(404, str(exc))


@api.post("/disposals/{disposal_id}/confirm", summary="确认销毁：删除文件，保留销毁记录", response_model=None)
def confirm_api(request: Request, disposal_id: RowId) -> dict[str, Any] | Response:
    desk = _desk(request)
    try:
        _own_disposal(request, disposal_id)
        result = confirm_disposal(desk, disposal_id, by=actor_of(request))
    except DisposalNotFound as exc:
        return error_json(404, str(exc))
    return {**_disposal_detail(desk, disposal_id), "deleted": result.deleted, "left": result.left}


@api.post("/disposals/{disposal_id}/cancel", summary="取消销毁（清册作废）", response_model=None)
def cancel_api(request: Request, disposal_id: RowId) -> dict[str, Any] | Response:
    desk = _desk(request)
    try:
        _own_disposal(request, disposal_id)
        cancel_disposal(desk, disposal_id, by=actor_of(request))
    except DisposalNotFound as exc:
        return error_json(404, str(exc))
    return _disposal_detail(desk, disposal_id)


def _disposal_detail(desk: Desk, disposal_id: int) -> dict[str, Any]:
    with desk.db.read() as session:
        disposal = get_disposal(session, disposal_id)
        return disposal_json(disposal, disposal_documents(session, disposal))


# ---- pages ----


def _retention_page(
    request: Request,
    as_of: str,
    project: str,
    errors: list[str] | None = None,
    posted: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    desk = _desk(request)
    errors = list(errors or [])
    today = _today()
    try:
        day = _date(as_of, "as_of", "到期核对日") or today
    except SubmissionInvalid as exc:
        errors += _messages(exc)
        day = today
    code = _scope_project(request, desk, project if project in desk.projects else None, require_one=False)
    with desk.db.read() as session:
        report = retention_due(session, day, code, limit=DUE_LIMIT, projects=visible_projects(_user(request)))
    posted = posted or {}
    return templates.TemplateResponse(
        request,
        "retention.html",
        {
            "report": report,
            "as_of": day,
            "today": today,
            "project": code or "",
            "projects": _my_projects(request, desk),
            "errors": errors,
            "checked": set(posted.get("numbers") or []),
            "reason": posted.get("reason") or DEFAULT_REASON,
            "methods_all": METHODS,
            "methods": posted.get("methods") or DEFAULT_METHODS,
            "planned_date": posted.get("planned_date") or today.isoformat(),
            "by": posted.get("by") or "",
            "limit": DUE_LIMIT,
        },
        status_code=status,
    )


@pages.get("/retention", response_class=HTMLResponse)
def retention_page(request: Request, as_of: str = "", project: str = "") -> Response:
    return _retention_page(request, as_of[:10], project[:40])


@pages.post("/retention/propose")
async def propose_page(request: Request) -> Response:
    desk = _desk(request)
    form = await request.form()
    numbers = [str(v) for v in form.getlist("numbers")]
    methods = [str(v) for v in form.getlist("methods")]
    reason = str(form.get("reason") or "")
    planned = str(form.get("planned_date") or "")[:10]
    by = actor_of(request)
    posted = {"numbers": numbers, "methods": methods, "reason": reason, "planned_date": planned, "by": by}
    as_of, project = str(form.get("as_of") or "")[:10], str(form.get("project") or "")[:40]
    await run_in_threadpool(_own_numbers, request, desk, numbers)
    try:
        disposal = propose_disposal(
            desk,
            numbers,
            as_of=_date(as_of, "as_of", "到期核对日"),
            by=by,
            reason=reason,
            methods=methods or None,
            planned_date=_date(planned, "planned_date", "拟销毁日期"),
            project=project if project in desk.projects else None,
        )
    except SubmissionInvalid as exc:
        return _retention_page(request, as_of, project, _messages(exc), posted, 422)
    return RedirectResponse(f"/disposals/{disposal.id}", status_code=303)


def _holds_page(request: Request, errors: list[str] | None = None, posted: dict[str, str] | None = None) -> Response:
    desk = _desk(request)
    user = _user(request)
    with desk.db.read() as session:
        active = [
            (h, covered_count(session, h))
            for h in list_holds(session)
            if _hold_visible(session, user, h, desk.projects)
        ]
        released = [
            h
            for h in list_holds(session, active_only=False)
            if h.released_at is not None and _hold_visible(session, user, h, desk.projects)
        ][:100]
    return templates.TemplateResponse(
        request,
        "holds.html",
        {
            "active": active,
            "released": released,
            "scopes": SCOPES,
            "projects": _my_projects(request, desk),
            "errors": errors or [],
            "posted": posted or {},
        },
        status_code=422 if errors else 200,
    )


@pages.get("/holds", response_class=HTMLResponse)
def holds_page(request: Request) -> Response:
    return _holds_page(request)


@pages.post("/holds")
async def place_hold_page(request: Request) -> Response:
    desk = _desk(request)
    form = await request.form()
    posted = {k: str(form.get(k) or "") for k in ("scope", "value", "project", "reason")}
    try:
        if posted["scope"] == "document":
            await run_in_threadpool(_own_numbers, request, desk, [posted["value"].strip()])
        elif posted["scope"] in SCOPES:
            chosen: str | None = await run_in_threadpool(_hold_project, request, desk, posted["project"] or None)
            posted["project"] = chosen or ""
        place_hold(
            desk.db,
            posted["scope"],
            posted["value"],
            posted["reason"][:2000],
            actor_of(request),
            posted["project"] or None,
            projects=list(desk.projects),
        )
    except SubmissionInvalid as exc:
        return _holds_page(request, _messages(exc), posted)
    except InvalidAction as exc:
        return _holds_page(request, [str(exc)], posted)
    return RedirectResponse("/holds", status_code=303)


@pages.post("/holds/{hold_id}/release")
async def release_hold_page(request: Request, hold_id: RowId) -> Response:
    form = await request.form()
    by = actor_of(request)
    try:
        await run_in_threadpool(_own_hold, request, hold_id)
        release_hold(_desk(request).db, hold_id, str(form.get("reason") or "")[:2000], by)
    except SubmissionInvalid as exc:
        return _holds_page(request, _messages(exc))
    except (HoldNotFound, InvalidAction) as exc:
        return _holds_page(request, [str(exc)])
    return RedirectResponse("/holds", status_code=303)


@pages.get("/disposals", response_class=HTMLResponse)
def disposals_page(request: Request) -> Response:
    user = _user(request)
    with _desk(request).db.read() as session:
        rows = [d for d in list_disposals(session) if _disposal_visible(session, user, d)]
    return templates.TemplateResponse(request, "disposals.html", {"rows": rows, "labels": DISPOSAL_STATUS})


def _disposal_page(request: Request, disposal_id: int, errors: list[str] | None = None, status: int = 200) -> Response:
    desk = _desk(request)
    with desk.db.read() as session:
        try:
            disposal = get_disposal(session, disposal_id)
            if not _disposal_visible(session, _user(request), disposal):
                raise DisposalNotFound(disposal_id)
        except DisposalNotFound as exc:
            return error_page(request, 404, str(exc))
        documents = disposal_documents(session, disposal)
    return templates.TemplateResponse(
        request,
        "disposal.html",
        {
            "d": disposal,
            "documents": documents,
            "labels": DISPOSAL_STATUS,
            "errors": errors or [],
            "held": [doc.number for doc, held in documents if held and doc.status != "disposed"],
            "pages": sum(doc.pages for doc, _ in documents),
        },
        status_code=status,
    )


@pages.get("/disposals/{disposal_id}", response_class=HTMLResponse)
def disposal_page(request: Request, disposal_id: RowId) -> Response:
    return _disposal_page(request, disposal_id)


@pages.post("/disposals/{disposal_id}/confirm")
async def confirm_page(request: Request, disposal_id: RowId) -> Response:
    form = await request.form()
    if form.get("confirm") != "yes":
        return _disposal_page(request, disposal_id, ["请勾选“已核对清册并经审批，确认销毁”后再确认"], 422)
    return await _disposal_step(request, disposal_id, confirm_disposal)


@pages.post("/disposals/{disposal_id}/cancel")
async def cancel_page(request: Request, disposal_id: RowId) -> Response:
    return await _disposal_step(request, disposal_id, cancel_disposal)


async def _disposal_step(request: Request, disposal_id: int, step: Callable[..., Any]) -> Response:
    """Confirm or cancel from the page: the project check, the step, and back to the disposal's page."""
    by = actor_of(request)
    try:
        await run_in_threadpool(_own_disposal, request, disposal_id)
        step(_desk(request), disposal_id, by=by)
    except DisposalNotFound as exc:
        return error_page(request, 404, str(exc))
    except InvalidAction as exc:
        return _disposal_page(request, disposal_id, [str(exc)], 409)
    return RedirectResponse(f"/disposals/{disposal_id}", status_code=303)


def _my_projects(request: Request, desk: Desk) -> dict[str, Any]:
    mine = visible_projects(_user(request))
    return {code: p for code, p in desk.projects.items() if mine is None or code in mine}
