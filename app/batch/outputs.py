"""What a batch hands back: one print-ready PDF in delivery order, a ZIP of the Word files, a results workbook."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pikepdf
from openpyxl import Workbook
from openpyxl.styles import Font

from app.render.pdf import unique_subset_tags


def merge_pdfs(parts: Sequence[tuple[Path, int, int]], out: Path) -> int:
    """Concatenate page ranges [first, end) of PDFs, in order, into `out`; returns the page count.

    Every source file's font subsets get names of their own: WeasyPrint names a subset after its face,
    so two chunks would carry different subsets under one name, and a print shop RIP caching fonts by
    name could draw wrong glyphs. A file is opened once however many ranges come from it.
    """
    merged = pikepdf.new()
    opened: dict[Path, pikepdf.Pdf] = {}
    try:
        for path, first, end in parts:
            src = opened.get(path)
            if src is None:
                src = opened[path] = pikepdf.open(path)
                unique_subset_tags(src, salt=f"{len(opened)}/{path}")
            merged.pages.extend(list(src.pages)[first:end])
        tmp = out.with_suffix(".tmp.pdf")
        merged.save(tmp, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        tmp.replace(out)
        return len(merged.pages)
    finally:
        for src in opened.values():
            src.close()
        merged.close()


def zip_files(files: Sequence[tuple[Path, str]], out: Path) -> None:
    """A ZIP of (file, name in the archive); .docx is already compressed, so it is stored."""
    tmp = out.with_suffix(".tmp.zip")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
        for path, name in files:
            z.write(path, name)
    tmp.replace(out)


@dataclass(frozen=True)
class IssuedLine:
    number: str
    address: str
    owner: str
    level: int
    outstanding: Decimal
    late_fees: Decimal
    total: Decimal
    new: bool  # False: issued by an earlier run of the same batch date


def results_workbook(
    out: Path,
    issued: Sequence[IssuedLine],
    skipped: Sequence[tuple[int, str]],
    legal: Sequence[tuple[str, str, str]],
    waiting: Sequence[tuple[str, str, str]],
    stranded: Sequence[tuple[str, str]] = (),
) -> None:
    """已开具 / 跳过的行 / 移交法务 / 暂不催缴 (/ 保留未用编号) sheets, with totals, for finance staff."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "已开具"
    ws.append(["编号", "房号", "业主姓名", "催款级别", "欠费金额", "滞纳金", "合计", "说明"])
    for line in issued:
        ws.append(
            [
                line.number,
                line.address,
                line.owner,
                f"REMINDER({line.level})",
                float(line.outstanding),
                float(line.late_fees),
                float(line.total),
                "" if line.new else "此前已开具（本批日期）",
            ]
        )
    ws.append(
        [
            "合计",
            f"{len(issued)} 份",
            "",
            "",
            *(float(sum((getattr(x, a) for x in issued), Decimal(0))) for a in ("outstanding", "late_fees", "total")),
            "",
        ]
    )
    for row in ws.iter_rows(min_row=2, min_col=5, max_col=7):
        for cell in row:
            cell.number_format = "#,##0.00"
    sheets: list[tuple[str, list[str], Sequence[Sequence[object]]]] = [
        ("跳过的行", ["台账行号", "原因"], skipped),
        ("移交法务", ["房号", "业主姓名", "说明"], legal),
        ("暂不催缴", ["房号", "业主姓名", "原因"], waiting),
    ]
    if stranded:
        sheets.append(
            (
                "保留未用编号",
                ["编号", "说明"],
                [
                    (
                        number,
                        f"中断的批次为 {key.split(':')[2].replace('|', '/')} 预留，"
                        "重新导入的台账中该户已无欠费；编号不再使用",
                    )
                    for number, key in stranded
                ],
            )
        )
    for title, header, rows in sheets:
        sheet = wb.create_sheet(title)
        sheet.append(header)
        for r in rows:
            sheet.append(list(r))
    for sheet in wb.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 22
        sheet.column_dimensions["B"].width = 22
        sheet.column_dimensions["C"].width = 40
    wb.save(out)
