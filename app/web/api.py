"""JSON API under /api: forms, preview, issue, list, fetch, download and void documents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from app.auth.accounts import CurrentUser
from app.auth.policy import may_see_full, project_ok
from app.auth.web import PermissionDenied, actor_of, check_project, client_ip, current_user, record_denied, require
from app.index.audit import record_event
from app.index.models import IssuedDocument
from app.index.repository import get_by_number
from app.issue import Desk, DocumentNotFound, InvalidAction, issue_document, preview_document, void_document
from app.masking import mask_parties, mask_text
from app.specs import KIND_LABELS
from app.web.schema import form_detail, form_summary, pdf_response


class FieldErrorOut(BaseModel):
    field: str = Field(description="字段路径，如 items[0].amount")
    label: str = Field(description="字段的中文名称")
    message: str = Field(description="中文说明")


class ErrorOut(BaseModel):
    """Every error of the API: a Chinese message, and for invalid data one entry per field."""

    detail: str = Field(description="中文错误说明")
    errors: list[FieldErrorOut] | None = Field(default=None, description="逐字段的错误（数据有误时）")


# the errors every route may answer with, documented with their real shape (not FastAPI's default 422)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "未登录（缺少或无效的 API 令牌）"},
    403: {"model": ErrorOut, "description": "没有权限"},
    404: {"model": ErrorOut, "description": "不存在"},
    409: {"model": ErrorOut, "description": "当前状态下不允许"},
    422: {"model": ErrorOut, "description": "请求或数据有误"},
    503: {"model": ErrorOut, "description": "暂时无法生成文件"},
}

router = APIRouter(prefix="/api", tags=["API"], responses=ERROR_RESPONSES, dependencies=[Depends(current_user)])
Issuer = Annotated[CurrentUser, Depends(require("documents.issue"))]
Reader = Annotated[CurrentUser, Depends(require("documents.read"))]
Voider = Annotated[CurrentUser, Depends(require("documents.void"))]


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: dict[str, Any] = Field(description="按表单 schema 填写的数据")
    project: str | None = Field(default=None, description="项目代码，默认为默认项目")
    replaces: str | None = Field(default=None, description="本文书替代的（已作废）文书编号")


class VoidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(description="作废原因")


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def document_links(doc: IssuedDocument) -> dict[str, str]:
    base = f"/api/documents/{doc.number}"
    return {"self": base, "pdf": f"{base}/pdf", "docx": f"{base}/docx", "page": f"/documents/{doc.number}"}


def document_summary(doc: IssuedDocument, masked: bool = False) -> dict[str, Any]:
    """A document's index entry; in lists (masked) the parties' personal names and numbers are partly hidden."""
    return {
        "number": doc.number,
        "form_id": doc.form_id,
        "form_title": doc.form_title,
        "project": doc.project,
        "subject": doc.subject,
        "parties": mask_parties(doc.parties) if masked else doc.parties,
        "status": doc.status,
        "issued_at": doc.issued_at.isoformat(),
        "issued_by": doc.issued_by,
        "document_date": doc.document_date.isoformat(),
        "retention": doc.retention,
        "retain_until": doc.retain_until.isoformat() if doc.retain_until else None,
        "links": document_links(doc),
    }


@router.get("/forms", summary="表单目录")
def list_forms(
    request: Request,
    q: Annotated[str, Query(max_length=100, description="名称、别名、表单代码或拼音首字母，如 zxxkz")] = "",
    kind: Annotated[str, Query(description="类别：" + "、".join(f"{k} {v}" for k, v in KIND_LABELS.items()))] = "",
) -> list[dict[str, Any]]:
    if kind and kind not in KIND_LABELS:
        raise HTTPException(422, f"类别（kind）“{kind}”不存在，可选：{'、'.join(KIND_LABELS)}")
    return [form_summary(f) for f in desk_of(request).catalogue.finder.find(q, kind)]


@router.get("/forms/{form_id}", summary="表单定义与 JSON Schema")
def get_form(request: Request, form_id: str) -> dict[str, Any]:
    desk = desk_of(request)
    form = desk.form(form_id)
    return {**form_detail(form, desk.catalogue.examples[form_id]), "kind_label": KIND_LABELS[form.kind]}


@router.post(
    "/forms/{form_id}/preview",
    summary="样张预览（不占用编号）",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def preview(
    request: Request, user: Issuer, form_id: str, data: Annotated[dict[str, Any], Body()], project: str | None = None
) -> Response:
    check_issuing_project(request, user, project)
    pdf = preview_document(desk_of(request), form_id, data, project=project)
    return pdf_response(pdf, f"{form_id}-preview.pdf")


@router.post("/forms/{form_id}/documents", status_code=201, summary="开具文书（编号、生成、登记）")
def create_document(request: Request, user: Issuer, form_id: str, body: IssueIn) -> dict[str, Any]:
    desk = desk_of(request)
    check_issuing_project(request, user, body.project)
    if desk.form(form_id).system:  # e.g. the 档案销毁清册, issued by the disposal workflow only
        raise InvalidAction(f"“{desk.form(form_id).title}”由系统在业务流程中开具，不能直接开具")
    doc = issue_document(desk, form_id, body.data, project=body.project, issued_by=user.name, replaces=body.replaces)
    return {
        "number": doc.number,
        "form_id": doc.form_id,
        "status": doc.status,
        "issued_at": doc.issued_at.isoformat(),
        "retain_until": doc.retain_until.isoformat() if doc.retain_until else None,
        "links": document_links(doc),
    }


# GET /api/documents (search with every filter, paging, sorting) and its .xlsx export: app/web/search_routes.py


@router.get("/documents/{number}", summary="文书详情（含提交数据）")
def get_document(request: Request, user: Reader, number: str) -> dict[str, Any]:
    doc = _load(request, number)
    full = may_see_full(user, doc.project)
    # the submitted data: in full (an audited view of personal data) for the roles that need it, else masked
    audit(request, "view", number, {"personal_data": "full" if full else "masked"})
    return {
        **document_summary(doc, masked=not full),
        "form_version": doc.form_version,
        "data": doc.data if full else mask_data(doc.data),
        "void_reason": doc.void_reason,
        "voided_at": doc.voided_at.isoformat() if doc.voided_at else None,
        "voided_by": doc.voided_by,
        "copies": doc.copies,
        "pages": doc.pages,
        "valid_from": doc.valid_from.isoformat() if doc.valid_from else None,
        "valid_to": doc.valid_to.isoformat() if doc.valid_to else None,
        "replaces": doc.replaces,
        "replaced_by": doc.replaced_by,
        "disposed_at": doc.disposed_at.isoformat() if doc.disposed_at else None,
        "disposed_by": doc.disposed_by,
        "disposal_register": doc.disposal_register,
        "files": {
            "pdf": {"path": doc.pdf_path, "sha256": doc.pdf_sha256},
            "docx": {"path": doc.docx_path, "sha256": doc.docx_sha256},
        },
    }


@router.get("/documents/{number}/pdf", summary="下载 PDF", response_class=FileResponse)
def get_pdf(request: Request, _user: Reader, number: str, inline: bool = False) -> FileResponse:
    doc = _load(request, number, files=True)
    return _file(request, doc.pdf_path, f"{doc.number}.pdf", "application/pdf", inline)


@router.get("/documents/{number}/docx", summary="下载 Word", response_class=FileResponse)
def get_docx(request: Request, _user: Reader, number: str) -> FileResponse:
    doc = _load(request, number, files=True)
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return _file(request, doc.docx_path, f"{doc.number}.docx", mime, False)


@router.post("/documents/{number}/void", summary="作废文书（编号保留）")
def void(request: Request, user: Voider, number: str, body: VoidIn) -> dict[str, Any]:
    _load(request, number)  # another project's document is not found
    doc = void_document(desk_of(request), number, body.reason, by=user.name)
    return {**document_summary(doc), "void_reason": doc.void_reason}


def _load(request: Request, number: str, files: bool = False) -> IssuedDocument:
    with desk_of(request).db.read() as session:
        doc = get_by_number(session, number)
    if doc is None:
        raise DocumentNotFound(number)
    user: CurrentUser | None = getattr(request.state, "user", None)
    if user is not None:
        check_project(request, user, doc.project, str(DocumentNotFound(number)))
    if files and doc.status == "disposed":
        raise FileDisposed(doc)
    return doc


def _file(request: Request, rel: str, name: str, mime: str, inline: bool) -> FileResponse:
    root = desk_of(request).output_dir.resolve()
    path = (root / rel).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise FileMissing(rel)
    audit(request, "download", name.rsplit(".", 1)[0], {"file": name})
    disposition = "inline" if inline else "attachment"
    return FileResponse(path, media_type=mime, filename=name, content_disposition_type=disposition)


def audit(request: Request, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
    """An audit event for a web or API action: who (the signed-in user), from where (the client address)."""
    with desk_of(request).db.write() as session:
        record_event(session, action, target, actor=actor_of(request), client=client_ip(request), detail=detail)


def check_issuing_project(request: Request, user: CurrentUser, project: str | None) -> None:
    """Issuing (or a 样张) happens in one of the user's projects; the default project counts as named."""
    code = project or desk_of(request).default_project
    if not project_ok(user, code):
        record_denied(request, user, "project", project=code)
        raise PermissionDenied(f"没有权限：项目 {code}")


def mask_data(value: Any) -> Any:
    """Submitted data with ID numbers and mobile numbers masked, for roles that see no full personal data."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_data(v) for v in value]
    return value


class FileMissing(LookupError):
    def __init__(self, rel: str) -> None:
        super().__init__(f"文书文件不存在：{Path(rel).name}（请运行 docdesk sanity-check 核对）")


class FileDisposed(FileMissing):
    """The files of a disposed document (a tombstone) were deleted on purpose (app.disposal)."""

    def __init__(self, doc: IssuedDocument) -> None:
        when = f"{doc.disposed_at:%Y-%m-%d}" if doc.disposed_at else ""
        LookupError.__init__(self, f"文书 {doc.number} 已于 {when} 按销毁清册 {doc.disposal_register} 销毁，文件已删除")


def error_json(status: int, message: str, errors: list[dict[str, str]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"detail": message}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status)
