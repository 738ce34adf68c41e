"""Entry point of the web service: build the Desk from Settings and mount the API and the pages."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
from collections.abc import AsyncIterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.auth import web as auth_web
from app.auth.accounts import ensure_first_admin, first_admin_message
from app.batch.options import options_factory
from app.batch.run import Dispatch
from app.batch.service import BatchNotFound, BatchRefused, BatchService
from app.config import Settings
from app.index.db import Database
from app.issue import Desk, DocumentNotFound, InvalidAction, RenderFailed, UnknownForm
from app.registry import load_catalogue
from app.render.docx import warm_up
from app.render.model import Letterhead
from app.render.pdf import harfbuzz_subset_available
from app.validation import SubmissionInvalid
from app.web import api, archive_routes, batch_routes, pages, records_routes, search_routes
from app.web.api import FileMissing, error_json

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


def tune_gc() -> None:
    """Freeze what start-up loaded and collect less often.

    A full collection over the long-lived objects of fonts, forms and templates costs 125-160 ms
    and landed on ~10 % of issues (their p95); frozen objects are no longer scanned.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def docx_pool(workers: int) -> Executor | None:
    """A warm pool of Word renderers (spawned, so no locks or threads are inherited)."""
    if workers <= 0:
        return None
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    for f in [pool.submit(warm_up) for _ in range(workers)]:
        f.result()
    return pool


def build_desk(settings: Settings) -> Desk:
    """Everything issuing needs, from settings; shared by the web app and the CLI."""
    catalogue = load_catalogue(settings.forms_dir)
    for broken in catalogue.broken:
        log.error("表单定义有误，已跳过：%s", broken)
    db = Database(settings.database_url)
    db.migrate()
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    projects = {
        code: Letterhead(company=p.company, project_name=p.name, project_code=p.code, seal_image=p.seal_image)
        for code, p in settings.load_projects().items()
    }
    return Desk(
        catalogue=catalogue,
        db=db,
        output_dir=settings.output_dir,
        templates_dir=settings.templates_dir,
        base_url=settings.public_url,
        projects=projects,
        default_project=settings.default_project,
        retention_rule=settings.retention_rule,
        long_term_years=settings.long_term_years,
        archive_fonds=settings.archive_fonds,
        archive_category=settings.archive_category,
        docx_pool=docx_pool(settings.docx_workers),
    )


def batch_service(settings: Settings, desk: Desk, own_desk: bool) -> BatchService:
    """Batches render in worker processes, each with its own Desk, when the service built its own."""
    workers = settings.batch_workers or (os.cpu_count() or 1)
    make = partial(build_desk, settings.model_copy(update={"docx_workers": 0})) if own_desk else None
    dispatch: Dispatch | None = None
    if settings.redis_url and own_desk:
        from app.batch.tasks import dispatch as celery_dispatch

        dispatch = celery_dispatch
    return BatchService(
        desk,
        settings.output_dir / "batches",
        options_factory(settings.load_projects(), settings.default_project, workers if own_desk else 0),
        make_desk=make,
        dispatch=dispatch,
    )


def create_app(settings: Settings | None = None, desk: Desk | None = None) -> FastAPI:
    settings = settings or Settings()
    if not harfbuzz_subset_available():
        log.warning("未找到 libharfbuzz-subset0：PDF 生成会慢约 48 倍，请安装该系统包")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.batches.shutdown()
        pool = app.state.desk.docx_pool
        if pool is not None:
            pool.shutdown(cancel_futures=True)

    app = FastAPI(
        lifespan=lifespan,
        title="DocDesk 物业文书台",
        description="表单校验、编号、生成 Word/PDF、登记归档。所有错误信息为中文。",
        version="0.1.0",
    )
    app.state.desk = desk or build_desk(settings)
    if desk is None:
        # the embedded default must be usable on first start: an administrator, printed once
        password = ensure_first_admin(app.state.desk.db, password=settings.admin_password)
        if password:
            print(first_admin_message(password, bool(settings.admin_password)), flush=True)  # noqa: T201
    app.state.batches = batch_service(settings, app.state.desk, own_desk=desk is None)
    tune_gc()
    app.include_router(api.router)
    app.include_router(batch_routes.api)
    app.include_router(search_routes.api)
    app.include_router(records_routes.api)
    app.include_router(archive_routes.api)
    app.include_router(pages.router)
    app.include_router(batch_routes.pages)
    app.include_router(search_routes.pages)
    app.include_router(records_routes.pages)
    app.include_router(archive_routes.pages)
    app.include_router(auth_web.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _install_error_handlers(app)
    auth_web.install(app)
    return app


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


def _install_error_handlers(app: FastAPI) -> None:
    def respond(request: Request, status: int, message: str, errors: list[dict[str, str]] | None = None) -> Response:
        if _wants_html(request):
            return pages.error_page(request, status, message)
        return error_json(status, message, errors)

    @app.exception_handler(SubmissionInvalid)
    async def _invalid(request: Request, exc: SubmissionInvalid) -> Response:
        return respond(request, 422, "提交的数据有误", [e.as_dict() for e in exc.errors])

    @app.exception_handler(UnknownForm)
    @app.exception_handler(DocumentNotFound)
    @app.exception_handler(FileMissing)
    async def _missing(request: Request, exc: Exception) -> Response:
        return respond(request, 404, str(exc))

    @app.exception_handler(BatchNotFound)
    async def _no_batch(request: Request, exc: BatchNotFound) -> Response:
        return respond(request, 404, str(exc))

    @app.exception_handler(BatchRefused)
    async def _refused(request: Request, exc: BatchRefused) -> Response:
        return respond(request, 422, str(exc))

    @app.exception_handler(InvalidAction)
    async def _conflict(request: Request, exc: InvalidAction) -> Response:
        return respond(request, 409, str(exc))

    @app.exception_handler(RenderFailed)
    async def _render(request: Request, exc: RenderFailed) -> Response:
        return respond(request, 503, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [_request_error(e) for e in exc.errors()]
        return respond(request, 422, "请求格式有误", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "页面不存在", 405: "不支持该请求方法", 413: "上传内容过大"}
        return respond(request, exc.status_code, messages.get(exc.status_code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return respond(request, 500, "服务器内部错误，已记录，请联系管理员")


_REQ_ZH = {
    "missing": "缺少此项",
    "extra_forbidden": "不认识的字段",
    "dict_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "json_invalid": "不是合法的 JSON",
    "string_type": "应为文字",
    "string_too_long": "太长了",
    "int_parsing": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "less_than_equal": "超出允许的最大值",
    "greater_than_equal": "低于允许的最小值",
    "string_pattern_mismatch": "取值不在允许的范围内",
}
_LOC_ZH = {
    "data": "表单数据",
    "reason": "作废原因",
    "project": "项目",
    "body": "请求内容",
    "replaces": "替代的文书",
    "q": "搜索词",
    "kind": "类别",
    "form": "表单",
    "status": "状态",
    "limit": "每页条数",
    "offset": "起始位置",
    "inline": "在浏览器中打开",
    "file": "台账文件",
    "date": "批次日期",
    "dry_run": "只检查不开具",
    "stamp": "首页加盖归档章",
    "year": "年度",
}


def _request_error(err: Any) -> dict[str, str]:
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path") and not isinstance(p, int)]
    field = ".".join(loc) or "body"
    label = _LOC_ZH.get(loc[0] if loc else "body", field)
    return {"field": field, "label": label, "message": _REQ_ZH.get(err.get("type", ""), "格式不正确")}
