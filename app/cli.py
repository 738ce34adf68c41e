"""The `docdesk` command: serve, check-forms, issue, void, preview, list."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from app import cli_archive, cli_records, cli_search, cli_users
from app.checks import check_catalogue, check_form, check_shared_templates
from app.config import Settings
from app.registry import load_catalogue
from app.validation import SubmissionInvalid


def cmd_check_forms(settings: Settings, _args: argparse.Namespace) -> int:
    # every broken form is reported, not only the first: one run shows the office manager all there is to fix
    catalogue = load_catalogue(settings.forms_dir)
    problems = [str(err) for err in catalogue.broken]
    problems += check_shared_templates(settings.templates_dir)
    problems += check_catalogue(catalogue.forms.values())
    for form_id, form in catalogue.forms.items():
        problems += check_form(form, catalogue.examples[form_id])
    for p in problems:
        print(f"✗ {p}", file=sys.stderr)
    if problems:
        print(f"表单检查未通过：{len(problems)} 处问题", file=sys.stderr)
        return 1
    print(f"✓ {len(catalogue.forms)} 个表单全部通过检查（定义、示例数据、模板变量、编号规则）")
    return 0


def _desk(settings: Settings) -> Any:
    from app.web.main import build_desk

    # a one-shot command issues a single document: a Word worker process would only cost start-up time
    return build_desk(settings.model_copy(update={"docx_workers": 0}))


def _read_data(path: str) -> Any:
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    if path.endswith(".toml"):
        return tomllib.loads(text)
    return json.loads(text)


def cmd_issue(settings: Settings, args: argparse.Namespace) -> int:
    from app.issue import issue_document
    from app.web.schema import jsonable

    desk = _desk(settings)
    try:
        data = jsonable(_read_data(args.data))
    except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
        print(f"✗ 读取数据文件失败：{exc}", file=sys.stderr)
        return 2
    try:
        doc = issue_document(desk, args.form_id, data, project=args.project, issued_by=args.by)
    except SubmissionInvalid as exc:
        print("✗ 数据有误，未开具：", file=sys.stderr)
        for e in exc.errors:
            print(f"  - {e.label}（{e.field}）：{e.message}", file=sys.stderr)
        return 1
    except LookupError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    print(doc.number)
    print(settings.output_dir / doc.pdf_path)
    print(settings.output_dir / doc.docx_path)
    return 0


def cmd_void(settings: Settings, args: argparse.Namespace) -> int:
    from app.issue import InvalidAction, void_document

    desk = _desk(settings)
    try:
        doc = void_document(desk, args.number, args.reason, by=args.by)
    except SubmissionInvalid as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    except (LookupError, InvalidAction) as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    print(f"已作废 {doc.number}：{doc.void_reason}")
    return 0


def cmd_preview(settings: Settings, args: argparse.Namespace) -> int:
    from app.issue import preview_document
    from app.web.schema import jsonable

    desk = _desk(settings)
    data = jsonable(_read_data(args.data)) if args.data else jsonable(desk.catalogue.examples[args.form_id])
    try:
        pdf = preview_document(desk, args.form_id, data, project=args.project)
    except SubmissionInvalid as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    except LookupError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    Path(args.out).write_bytes(pdf)
    print(args.out)
    return 0


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    from app.index.repository import search
    from app.masking import mask_parties

    desk = _desk(settings)
    with desk.db.read() as session:
        rows, total = search(session, q=args.q, limit=args.limit)
    for r in rows:
        cells = (r.number, r.form_title, r.subject, mask_parties(r.parties), r.status, f"{r.issued_at:%Y-%m-%d %H:%M}")
        print("\t".join(cells))
    print(f"共 {total} 份", file=sys.stderr)
    return 0


def cmd_batch_template(settings: Settings, args: argparse.Namespace) -> int:
    from app.batch.ledger import write_template

    write_template(Path(args.out))
    print(args.out)
    return 0


def cmd_batch_arrears(settings: Settings, args: argparse.Namespace) -> int:
    import os
    from functools import partial

    from app.batch.ledger import LedgerError
    from app.batch.options import arrears_options
    from app.batch.run import Dispatch, plan_arrears, run_arrears
    from app.web.main import build_desk

    try:
        batch_date = dt.date.fromisoformat(args.date)
    except ValueError:
        print(f"✗ 批次日期“{args.date}”无效，应为 2026-11-01 这样的日期", file=sys.stderr)
        return 2
    projects = settings.load_projects()
    code = args.project or settings.default_project
    if code not in projects:
        print(f"✗ 没有代码为“{code}”的项目，可选：{'、'.join(projects)}", file=sys.stderr)
        return 2
    try:
        ledger = Path(args.ledger).read_bytes()
    except OSError as exc:
        print(f"✗ 无法读取台账文件：{exc}", file=sys.stderr)
        return 2
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    opts = arrears_options(
        projects[code],
        batch_date,
        interval_days=args.interval,
        issued_by=args.by,
        workers=workers,
        chunk_size=args.chunk,
    )
    desk = _desk(settings)
    try:
        plan = plan_arrears(desk, ledger, opts)
    except LedgerError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    c = plan.counts()
    print(
        f"台账 {c['rows']} 行（跳过 {c['bad_rows']} 行），欠费 {c['households']} 户："
        f"待开具 {c['to_issue']}，本批日期已开具 {c['issued_before']}，"
        f"移交法务 {c['legal']}，未满间隔暂不催缴 {c['waiting']}"
    )
    if c["stranded_numbers"]:
        print(
            f"注意：{c['stranded_numbers']} 个此前中断时预留的编号因该户已无欠费而不再使用，见结果工作簿“保留未用编号”"
        )
    for problem in plan.ledger.problems[:50]:
        print(f"  第 {problem.row} 行：{problem.reason}", file=sys.stderr)
    if len(plan.ledger.problems) > 50:
        print(f"  ……另有 {len(plan.ledger.problems) - 50} 行，见结果工作簿", file=sys.stderr)
    if args.dry_run:
        print("（试运行：未开具，未占用编号）")
        return 0
    worker_settings = settings.model_copy(update={"docx_workers": 0})
    dispatch: Dispatch | None = None
    if settings.redis_url:
        from app.batch.tasks import dispatch as celery_dispatch

        dispatch = celery_dispatch

        print(f"分块交给 Celery 工作进程（{settings.redis_url}）", file=sys.stderr)
    result = run_arrears(
        desk,
        ledger,
        opts,
        Path(args.out) if args.out else settings.output_dir / "batches",
        make_desk=partial(build_desk, worker_settings),
        progress=_progress_bar,
        dispatch=dispatch,
    )
    print(file=sys.stderr)
    print(f"✓ 批次 {result.plan.batch_id}：新开具 {c['to_issue']} 份，共 {result.pages} 页")
    for name, path in result.outputs.items():
        print(f"  {name}: {path}")
    return 0


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    print(f"\r开具中 [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr, flush=True)


def cmd_sanity_check(settings: Settings, args: argparse.Namespace) -> int:
    from app.index.db import Database
    from app.integrity import check_integrity

    db = Database(settings.database_url)
    db.migrate()
    report = check_integrity(db, settings.output_dir)
    if args.json:
        findings = [{"kind": f.kind, "path": f.path, "number": f.number, "message": f.message} for f in report.findings]
        print(
            json.dumps(
                {"documents": report.documents, "files": report.files, "findings": findings},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for f in report.findings:
            print(f"✗ {f.message}")
        counts = "，".join(
            f"{label} {len(report.of(kind))}"
            for kind, label in (("missing", "缺失"), ("changed", "被改动"), ("orphaned", "未登记"))
        )
        mark = "✓" if report.ok else "✗"
        print(f"{mark} 检查了 {report.documents} 份文书的 {report.files} 个文件：{counts}")
    return 0 if report.ok else 1


def cmd_audit_verify(settings: Settings, _args: argparse.Namespace) -> int:
    from app.index.audit import verify_chain
    from app.index.db import Database

    db = Database(settings.database_url)
    db.migrate()
    with db.read() as session:
        check = verify_chain(session)
    if check.ok:
        print(f"✓ 审计链完整：{check.events} 个事件，逐一核对哈希无误")
        return 0
    print(f"✗ 审计链在第 {check.broken_at} 个事件处断开：{check.reason}（此前 {check.events} 个事件完好）")
    return 1


def cmd_build_fonts(settings: Settings, _args: argparse.Namespace) -> int:
    from app.render.fonts import build_fonts

    for path in build_fonts(settings.templates_dir / "fonts"):
        print(f"✓ {path}（{path.stat().st_size // 1024} KB）")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from app.web.main import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    updates: dict[str, object] = {}
    if args.host:
        updates["host"] = args.host
    if args.port:
        updates["port"] = args.port
    settings = settings.model_copy(update=updates)
    app = create_app(settings)
    print(
        f"DocDesk 物业文书台 已启动：http://{settings.host}:{settings.port}/ "
        f"（数据库 {settings.database_url}，文件目录 {settings.output_dir}）"
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="docdesk", description="DocDesk 物业文书台")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="启动网页与 API 服务")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("check-forms", help="检查全部表单定义、示例数据与模板")
    p.set_defaults(func=cmd_check_forms)
    p = sub.add_parser("build-fonts", help="生成打印用的精简中文字体（安装时运行一次，约 1 分钟）")
    p.set_defaults(func=cmd_build_fonts)
    p = sub.add_parser("issue", help="开具一份文书")
    p.add_argument("form_id")
    p.add_argument("--data", required=True, help="JSON 或 TOML 数据文件（- 为标准输入）")
    p.add_argument("--project")
    p.add_argument("--by", default="cli", help="开具人")
    p.set_defaults(func=cmd_issue)
    p = sub.add_parser("void", help="作废一份文书（编号保留）")
    p.add_argument("number")
    p.add_argument("--reason", required=True)
    p.add_argument("--by", default="cli")
    p.set_defaults(func=cmd_void)
    p = sub.add_parser("preview", help="生成样张 PDF（不占用编号）")
    p.add_argument("form_id")
    p.add_argument("--data", help="数据文件；默认用表单示例")
    p.add_argument("--project")
    p.add_argument("--out", default="preview.pdf")
    p.set_defaults(func=cmd_preview)
    p = sub.add_parser("batch", help="批量开具（欠费台账 → 催款通知书）")
    batch = p.add_subparsers(dest="batch_command", required=True)
    p = batch.add_parser("template", help="生成空白欠费台账模板 .xlsx")
    p.add_argument("--out", default="欠费台账模板.xlsx")
    p.set_defaults(func=cmd_batch_template)
    p = batch.add_parser("arrears", help="按欠费台账批量开具催款通知书")
    p.add_argument("ledger", help="欠费台账 .xlsx")
    p.add_argument("--date", required=True, help="批次日期（通知书日期），如 2026-11-01")
    p.add_argument("--project", help="项目代码，默认为默认项目")
    p.add_argument("--out", help="输出目录，默认 output/batches")
    p.add_argument("--dry-run", action="store_true", help="只检查台账并列出将开具的通知书，不开具")
    p.add_argument("--interval", type=int, help="升级催款的间隔天数，默认取项目设置（30）")
    p.add_argument("--workers", type=int, help="渲染进程数，默认为 CPU 核数")
    p.add_argument("--chunk", type=int, default=50, help="每块通知书数（一次排版、一个事务），默认 50")
    p.add_argument("--by", default="batch", help="开具人")
    p.set_defaults(func=cmd_batch_arrears)
    p = sub.add_parser("sanity-check", help="核对索引与文件：缺失、被改动（sha256）、未登记的文件")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_sanity_check)
    p = sub.add_parser("audit", help="审计记录")
    audit = p.add_subparsers(dest="audit_command", required=True)
    p = audit.add_parser("verify", help="核对审计链：指出第一个被改动或删除的事件")
    p.set_defaults(func=cmd_audit_verify)
    p = sub.add_parser("list", help="列出最近开具的文书")
    p.add_argument("q", nargs="?", default="")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(func=cmd_list)
    for module in (cli_search, cli_records, cli_archive, cli_users):
        module.register(sub)
    args = parser.parse_args(argv)
    settings = Settings()
    try:
        code: int = args.func(settings, args)
        sys.stdout.flush()  # a pipe's buffer is written here, inside the try, not at exit
    except BrokenPipeError:
        # the reader went away (`docdesk list | head`): what was done is done; point stdout at /dev/null so
        # the flush at exit does not raise again, and exit as a program killed by SIGPIPE would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return code


if __name__ == "__main__":
    sys.exit(main())
