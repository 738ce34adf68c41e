"""docdesk retention / hold / dispose: the archivist's commands."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from app.config import Settings
from app.validation import SubmissionInvalid


def register(sub: Any) -> None:
    """Add this module's subcommands to the docdesk parser (each sets func(settings, args) -> int)."""
    p = sub.add_parser("retention", help="保存期限：列出已到期的文书")
    retention = p.add_subparsers(dest="retention_command", required=True)
    p = retention.add_parser("due", help="列出保存期限已到期、尚未销毁的文书（保全中的单列）")
    p.add_argument("--as-of", help="到期核对日，如 2026-11-30；默认今天")
    p.add_argument("--project", help="只看某个项目")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_retention_due)

    p = sub.add_parser("hold", help="诉讼保全/争议冻结：设置、解除、列出")
    hold = p.add_subparsers(dest="hold_command", required=True)
    p = hold.add_parser("add", help="设置保全（一份文书、一个房号或一位当事人）")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--number", help="文书编号")
    target.add_argument("--room", help="房号，如 3-2-1502 或 3栋2单元1502室")
    target.add_argument("--party", help="当事人姓名或单位名称")
    p.add_argument("--project", help="房号、当事人保全限定的项目；不填则覆盖所有项目")
    p.add_argument("--reason", required=True, help="保全原因，如案号、争议事项")
    p.add_argument("--by", default="cli", help="经办人")
    p.set_defaults(func=cmd_hold_add)
    p = hold.add_parser("release", help="解除保全")
    p.add_argument("hold_id", type=int, help="保全号（docdesk hold list 中的“号”）")
    p.add_argument("--reason", required=True, help="解除原因，如已结案")
    p.add_argument("--by", default="cli", help="经办人")
    p.set_defaults(func=cmd_hold_release)
    p = hold.add_parser("list", help="列出保全中的保全")
    p.add_argument("--all", action="store_true", help="含已解除的")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_hold_list)

    p = sub.add_parser("dispose", help="销毁到期文书：生成销毁清册、确认、取消、列出")
    dispose = p.add_subparsers(dest="dispose_command", required=True)
    p = dispose.add_parser("propose", help="为到期文书生成《档案销毁清册》（待确认，不删除文件）")
    p.add_argument("numbers", nargs="+", metavar="NUMBER", help="文书编号")
    p.add_argument("--as-of", help="到期核对日，默认今天")
    p.add_argument("--reason", default="保存期限已满", help="销毁原因")
    p.add_argument("--method", action="append", help="销毁方式（可多次）：粉碎、焚毁、删除电子文件")
    p.add_argument("--planned-date", help="拟销毁日期，默认今天")
    p.add_argument("--project", help="清册所属项目")
    p.add_argument("--by", default="cli", help="经办人")
    p.set_defaults(func=cmd_dispose_propose)
    p = dispose.add_parser("confirm", help="确认销毁：删除文件，保留销毁记录")
    p.add_argument("disposal_id", type=int, help="销毁号（docdesk dispose list 中的“号”）")
    p.add_argument("--by", default="cli", help="经办人")
    p.set_defaults(func=cmd_dispose_confirm)
    p = dispose.add_parser("cancel", help="取消待确认的销毁（清册作废）")
    p.add_argument("disposal_id", type=int)
    p.add_argument("--by", default="cli", help="经办人")
    p.set_defaults(func=cmd_dispose_cancel)
    p = dispose.add_parser("list", help="列出销毁记录")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_dispose_list)


def _desk(settings: Settings) -> Any:
    from app.web.main import build_desk

    return build_desk(settings.model_copy(update={"docx_workers": 0}))


class BadDate(ValueError):
    pass


def _date(value: str | None, label: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadDate(f"{label}“{value}”无效，应为 2026-11-30 这样的日期") from None


def _fail(exc: Exception) -> int:
    if isinstance(exc, SubmissionInvalid):
        for e in exc.errors:
            # a refused document's message starts with its number already
            text = e.message if e.field.startswith("numbers[") else f"{e.label}：{e.message}"
            print(f"✗ {text}", file=sys.stderr)
    else:
        print(f"✗ {exc}", file=sys.stderr)
    return 1


def cmd_retention_due(settings: Settings, args: argparse.Namespace) -> int:
    from app.disposal import retention_due
    from app.numbering import document_day

    try:
        as_of = _date(args.as_of, "到期核对日") or document_day(dt.datetime.now(dt.UTC))
    except BadDate as exc:
        return _fail(exc)
    desk = _desk(settings)
    if args.project and args.project not in desk.projects:
        print(f"✗ 没有代码为“{args.project}”的项目，可选：{'、'.join(desk.projects)}", file=sys.stderr)
        return 1
    with desk.db.read() as session:
        report = retention_due(session, as_of, args.project)
    if args.json:
        print(json.dumps(report.json(), ensure_ascii=False, indent=2))
        return 0
    for title, items in (
        ("可销毁", report.disposable),
        ("保全中（不能销毁）", report.held),
        ("已列入待确认的销毁清册", report.pending),
    ):
        if not items:
            continue
        print(f"== {title}：{len(items)} 份")
        for d in items:
            extra = f"\t清册 {d.pending}" if d.pending else ("\t保全中" if d.held else "")
            cells = (d.number, d.form_title, d.project, str(d.document_date), d.retention, f"保存至 {d.retain_until}")
            print("\t".join(cells) + extra)
    print(
        f"截至 {as_of} 到期 {report.total} 份：可销毁 {len(report.disposable)}，保全中 {len(report.held)}，"
        f"待确认 {len(report.pending)}；另有 {report.tied} 份随档保存（同……档案），不单独到期",
        file=sys.stderr,
    )
    return 0


def cmd_hold_add(settings: Settings, args: argparse.Namespace) -> int:
    from app.holds import covered_count, describe, place_hold
    from app.issue import InvalidAction

    desk = _desk(settings)
    scope, value = (
        ("document", args.number) if args.number else ("room", args.room) if args.room else ("party", args.party)
    )
    try:
        hold = place_hold(desk.db, scope, value, args.reason, args.by, args.project, projects=list(desk.projects))
    except (SubmissionInvalid, InvalidAction) as exc:
        return _fail(exc)
    with desk.db.read() as session:
        n = covered_count(session, hold)
    print(f"已设置保全第 {hold.id} 号：{describe(hold)}，目前涉及 {n} 份文书")
    return 0


def cmd_hold_release(settings: Settings, args: argparse.Namespace) -> int:
    from app.holds import HoldNotFound, describe, release_hold
    from app.issue import InvalidAction

    desk = _desk(settings)
    try:
        hold = release_hold(desk.db, args.hold_id, args.reason, args.by)
    except (SubmissionInvalid, InvalidAction, HoldNotFound) as exc:
        return _fail(exc)
    print(f"已解除保全第 {hold.id} 号：{describe(hold)}")
    return 0


def cmd_hold_list(settings: Settings, args: argparse.Namespace) -> int:
    from app.holds import covered_count, describe, hold_json, list_holds

    desk = _desk(settings)
    with desk.db.read() as session:
        rows = [(h, covered_count(session, h)) for h in list_holds(session, active_only=not args.all)]
    if args.json:
        print(json.dumps([{**hold_json(h), "documents": n} for h, n in rows], ensure_ascii=False, indent=2))
        return 0
    for h, n in rows:
        state = "保全中" if h.released_at is None else f"已解除 {h.released_at:%Y-%m-%d}（{h.release_reason}）"
        print(f"{h.id}\t{describe(h)}\t{n} 份\t{state}\t{h.created_at:%Y-%m-%d} {h.created_by}：{h.reason}")
    print(f"共 {len(rows)} 个保全", file=sys.stderr)
    return 0


def cmd_dispose_propose(settings: Settings, args: argparse.Namespace) -> int:
    from app.disposal import propose_disposal
    from app.index.repository import get_by_number
    from app.issue import RenderFailed

    try:
        as_of = _date(args.as_of, "到期核对日")
        planned = _date(args.planned_date, "拟销毁日期")
    except BadDate as exc:
        return _fail(exc)
    desk = _desk(settings)
    if args.project and args.project not in desk.projects:
        print(f"✗ 没有代码为“{args.project}”的项目，可选：{'、'.join(desk.projects)}", file=sys.stderr)
        return 1
    try:
        disposal = propose_disposal(
            desk,
            args.numbers,
            as_of=as_of,
            by=args.by,
            reason=args.reason,
            methods=args.method,
            planned_date=planned,
            project=args.project,
        )
    except (SubmissionInvalid, RenderFailed) as exc:
        print("✗ 未生成销毁清册：", file=sys.stderr)
        return _fail(exc)
    with desk.db.read() as session:
        register = get_by_number(session, disposal.register_number)
    n = len(disposal.numbers)
    print(f"销毁号 {disposal.id}：已生成档案销毁清册 {disposal.register_number}，列入 {n} 份文书（待确认）")
    if register is not None:
        print(settings.output_dir / register.pdf_path)
    print(f"打印清册、经监销和审批后运行：docdesk dispose confirm {disposal.id}", file=sys.stderr)
    return 0


def cmd_dispose_confirm(settings: Settings, args: argparse.Namespace) -> int:
    from app.disposal import DisposalNotFound, confirm_disposal
    from app.issue import InvalidAction

    desk = _desk(settings)
    try:
        result = confirm_disposal(desk, args.disposal_id, by=args.by)
    except (InvalidAction, DisposalNotFound) as exc:
        return _fail(exc)
    d = result.disposal
    print(f"已销毁：销毁清册 {d.register_number} 所列 {len(d.numbers)} 份文书，删除文件 {len(result.deleted)} 个")
    for rel in result.left:
        print(f"✗ 未能删除：{rel}（再次运行本命令，或手工删除）", file=sys.stderr)
    return 1 if result.left else 0


def cmd_dispose_cancel(settings: Settings, args: argparse.Namespace) -> int:
    from app.disposal import DisposalNotFound, cancel_disposal
    from app.issue import InvalidAction

    desk = _desk(settings)
    try:
        d = cancel_disposal(desk, args.disposal_id, by=args.by)
    except (InvalidAction, DisposalNotFound) as exc:
        return _fail(exc)
    print(f"已取消销毁号 {d.id}：销毁清册 {d.register_number} 已作废（销毁取消），文书未受影响")
    return 0


def cmd_dispose_list(settings: Settings, args: argparse.Namespace) -> int:
    from app.disposal import DISPOSAL_STATUS, disposal_json, list_disposals

    desk = _desk(settings)
    with desk.db.read() as session:
        rows = list_disposals(session)
    if args.json:
        print(json.dumps([disposal_json(d) for d in rows], ensure_ascii=False, indent=2))
        return 0
    for d in rows:
        confirmed = f"{d.confirmed_at:%Y-%m-%d} {d.confirmed_by}" if d.confirmed_at else ""
        print(
            f"{d.id}\t{d.register_number}\t{len(d.numbers)} 份\t{DISPOSAL_STATUS.get(d.status, d.status)}"
            f"\t{d.created_at:%Y-%m-%d} {d.created_by}\t{confirmed}"
        )
    print(f"共 {len(rows)} 次销毁", file=sys.stderr)
    return 0
