"""docdesk archive: assign 档号 and write the PDF/A archive copy."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.config import Settings


def register(sub: Any) -> None:
    """Add this module's subcommands to the docdesk parser (each sets func(settings, args) -> int)."""
    p = sub.add_parser(
        "archive",
        help="归档：编档号（DA/T 22-2015），生成 PDF/A-3b 归档件（首页归档章，内嵌 JSON 数据）",
        description="为文书编档号（全宗号-门类代码·年度-保管期限-机构代码-件号）并生成 PDF/A-3b 归档件；"
        "每行输出 编号、档号、归档件路径。",
    )
    p.add_argument("numbers", nargs="+", metavar="NUMBER", help="文书编号（可写多个）")
    p.add_argument("--no-stamp", action="store_true", help="首页不加盖归档章")
    p.add_argument("--by", default="cli", help="归档人")
    p.add_argument(
        "--validate",
        action="store_true",
        help="归档后再用 Apache PDFBox Preflight、pikepdf、qpdf 完整校验 PDF/A-3b（需 Java）",
    )
    p.set_defaults(func=cmd_archive)
    p = sub.add_parser(
        "archive-catalogue",
        help="导出归档文件目录（DA/T 22-2015，按档号排序，每个分类一张表）.xlsx",
        description="把已归档文书按 全宗-门类·年度-保管期限-机构 分类、按档号排序，导出为可打印装订的归档文件目录。",
    )
    p.add_argument("--year", type=int, help="年度（档号中的年度，即文书日期的年份）；默认全部年度")
    p.add_argument("--project", action="append", help="项目代码（可写多次）；默认全部项目")
    p.add_argument("--out", help="输出文件，默认 归档文件目录[-年度].xlsx")
    p.set_defaults(func=cmd_archive_catalogue)


def cmd_archive(settings: Settings, args: argparse.Namespace) -> int:
    from app.archive import archive_document, snapshot
    from app.cli import _desk
    from app.issue import InvalidAction, RenderFailed
    from app.pdfa import validate_many

    desk = _desk(settings)
    failed = 0
    done: list[tuple[Path, dict[str, Any]]] = []
    for number in args.numbers:
        try:
            doc = archive_document(desk, number, stamp=not args.no_stamp, by=args.by)
        except (LookupError, InvalidAction, RenderFailed) as exc:
            print(f"✗ {number}：{exc}", file=sys.stderr)
            failed += 1
            continue
        path = settings.output_dir / (doc.archive_pdf_path or "")
        print(f"{doc.number}\t{doc.archive_code}\t{path}")
        done.append((path, json.loads(json.dumps(snapshot(doc), ensure_ascii=False))))
    if args.validate and done:
        for report in validate_many([p for p, _ in done], [s for _, s in done]):
            print(report.summary(), file=sys.stdout if report.ok else sys.stderr)
            failed += 0 if report.ok else 1
    if failed:
        print(f"✗ {failed} 份未能归档或未通过校验", file=sys.stderr)
    return 1 if failed else 0


def cmd_archive_catalogue(settings: Settings, args: argparse.Namespace) -> int:
    from app.archive_catalogue import archived_documents, catalogue_classes, catalogue_xlsx
    from app.cli import _desk

    desk = _desk(settings)
    with desk.db.read() as session:
        docs = archived_documents(session, year=args.year, projects=args.project)
        classes = catalogue_classes(docs, {code: p.company for code, p in desk.projects.items()})
    if not classes:
        print("✗ 没有符合条件的已归档文书，未生成目录", file=sys.stderr)
        return 1
    out = Path(args.out or (f"归档文件目录-{args.year}.xlsx" if args.year else "归档文件目录.xlsx"))
    out.write_bytes(catalogue_xlsx(classes))
    for klass in classes:
        print(f"{klass.key}\t{len(klass.entries)} 件")
    print(out)
    return 0
