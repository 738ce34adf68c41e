"""docdesk search / reindex: find issued documents from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

from app.config import Settings
from app.index.search import (
    EXPORT_HEADERS,
    RETENTION_LABELS,
    SORT_LABELS,
    STATUS_LABELS,
    export_documents,
    parse_query,
    reindex,
    result_cells,
    search_documents,
    total_label,
    xlsx_bytes,
)
from app.validation import SubmissionInvalid

# the columns printed in the terminal (the export has them all)
SHOWN = (0, 1, 3, 4, 5, 6, 8)


def register(sub: Any) -> None:
    """Add this module's subcommands to the docdesk parser (each sets func(settings, args) -> int)."""
    p = sub.add_parser(
        "search",
        help="查找已开文书（编号、房号、姓名、拼音首字母、日期、状态、保存状态……）",
        description="查找已开文书。房号可写 3栋2单元1502、3#2-1502、3-2-1502，写 3栋 查整栋；"
        "当事人可写姓名任意部分或拼音首字母。",
    )
    p.add_argument("q", nargs="?", default="", help="任意文字（编号、姓名、房号、填写内容）")
    p.add_argument("--number", default="", help="编号；结尾为 - 或 * 时按前缀查，如 HL-CK1-2026-")
    p.add_argument("--form", default="", help="表单编号，如 arrears-reminder-1")
    p.add_argument("--kind", default="", help="类别，如 notice、permit")
    p.add_argument("--project", default="", help="项目代码，如 HL")
    p.add_argument("--room", default="", help="房号，任意写法")
    p.add_argument("--party", default="", help="当事人姓名的任意部分或拼音首字母")
    p.add_argument("--from", dest="date_from", default="", help="文书日期起，如 2026-01-01")
    p.add_argument("--to", dest="date_to", default="", help="文书日期止，如 2026-12-31")
    p.add_argument("--status", default="", help="状态：" + "、".join(f"{k} {v}" for k, v in STATUS_LABELS.items()))
    p.add_argument(
        "--retention", default="", help="保存状态：" + "、".join(f"{k} {v}" for k, v in RETENTION_LABELS.items())
    )
    p.add_argument("--as-of", dest="as_of", default="", help="判断是否到期的日期，默认今天")
    p.add_argument("--sort", default="issued_at", help="排序：" + "、".join(f"{k} {v}" for k, v in SORT_LABELS.items()))
    p.add_argument("--asc", action="store_true", help="从早到晚 / 从小到大（默认从新到旧）")
    p.add_argument("--limit", default="20", help="显示条数（默认 20，最多 200）")
    p.add_argument("--page", default="1", help="页码")
    p.add_argument("--xlsx", metavar="FILE", help="把全部结果（最多 10000 份）导出为 Excel 文件")
    p.set_defaults(func=cmd_search)
    p = sub.add_parser("reindex", help="为较早开具的文书补建查找索引（房号、全文、姓名拼音）")
    p.add_argument("--all", action="store_true", help="全部文书重建（默认只补尚未建索引的）")
    p.add_argument("--chunk", type=int, default=1000, help="每个事务处理的文书数（默认 1000）")
    p.set_defaults(func=cmd_reindex)


def _desk(settings: Settings) -> Any:
    from app.cli import _desk as desk

    return desk(settings)


def _today() -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(header: list[str], rows: list[list[str]]) -> str:
    """Rows as aligned columns, Chinese characters counted two wide."""
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for r in [header, *rows]:
        lines.append("  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(lines)


def cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    params = {
        k: getattr(args, k)
        for k in ("q", "number", "form", "kind", "project", "room", "party", "date_from", "date_to", "status")
    }
    params |= {"retention": args.retention, "as_of": args.as_of, "sort": args.sort, "page": args.page}
    params |= {"order": "asc" if args.asc else "desc", "per_page": args.limit}
    try:
        query = parse_query(params)
    except SubmissionInvalid as exc:
        for e in exc.errors:
            print(f"✗ {e.label}：{e.message}", file=sys.stderr)
        return 2
    desk = _desk(settings)
    today = _today()
    with desk.db.read() as session:
        if args.xlsx:
            rows, more = export_documents(session, query, today=today)
            Path(args.xlsx).write_bytes(xlsx_bytes(rows, more, query, today=today))
            extra = "（超过 10000 份，仅导出前 10000 份）" if more else ""
            print(f"已导出 {len(rows)} 份到 {args.xlsx}{extra}", file=sys.stderr)
            return 0
        rows, total = search_documents(session, query, today=today)
        cells = [[result_cells(r)[i] for i in SHOWN] for r in rows]
    if cells:
        print(table([EXPORT_HEADERS[i] for i in SHOWN], cells))
    shown = f"，显示第 {query.start + 1}–{query.start + len(rows)} 份" if rows else ""
    print(f"共 {total_label(total)} 份{shown}（当事人已脱敏）", file=sys.stderr)
    return 0


def cmd_reindex(settings: Settings, args: argparse.Namespace) -> int:
    if args.chunk < 1:
        print("✗ 每个事务的文书数（--chunk）应为正整数", file=sys.stderr)
        return 2
    desk = _desk(settings)
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-6)
        print(f"\r重建查找索引：{done}/{total}（{rate:,.0f} 份/秒）", end="", file=sys.stderr, flush=True)

    n = reindex(desk.db, desk.catalogue, everything=args.all, chunk=args.chunk, progress=progress)
    if n:
        print(file=sys.stderr)
    print(f"已为 {n} 份文书建立查找索引" if n else "没有需要补建索引的文书")
    return 0
