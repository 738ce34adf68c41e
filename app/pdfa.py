"""Is an archive copy PDF/A-3b? Checked by validators, never assumed.

Four independent checks, all of which must pass:

1. **Apache PDFBox Preflight** (Debian libpdfbox2-java; run in Java). It validates PDF/A-1b only, so the few
   rules where PDF/A-1 forbids what PDF/A-3 permits are waived — each by its Preflight error code *and*
   message, with its ISO 19005-3 reason (PREFLIGHT_WAIVERS); every other Preflight error fails.
2. **pikepdf's PDF/A-3b validator** (`pikepdf.pdfa`, an allow-list validator over the veraPDF rule
   catalogue for 3b): its verdict must be "pass" (no violations and nothing it could not check).
3. **qpdf --check**: the file's structure and streams.
4. **Our own checks** with pikepdf: pdfaid part 3 / conformance B in the XMP, an sRGB OutputIntent with
   its ICC profile, a trailer /ID, no encryption, and the JSON attachment — an associated file of the
   document (/AF on the catalog) with /AFRelationship /Data — equal to the expected snapshot.

archive_document runs 2–4 before it keeps a copy (fast, in-process); tests and `docdesk archive --validate`
run all four.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf

JAVA_DIR = Path("/usr/share/java")
# Preflight and what it loads: PDFBox, FontBox, XMPBox, commons-logging, and javax.activation / JAXB (no longer
# part of the JDK since Java 11; Debian libactivation-java and libjaxb-api-java)
PREFLIGHT_JARS = ("preflight", "pdfbox2", "xmpbox", "fontbox2", "commons-logging", "javax.activation", "jaxb-api")
PREFLIGHT_MAIN = "org.apache.pdfbox.preflight.Validator_A1b"


@dataclass(frozen=True)
class Waiver:
    """A Preflight (PDF/A-1b) error that PDF/A-3b permits: its code, a pattern of its message, and why."""

    code: str
    details: str  # regular expression, searched in Preflight's message
    reason: str


PREFLIGHT_WAIVERS = (
    Waiver(
        "1.4.7",
        r"EmbeddedFile entry is present in the Names dictionary",
        "ISO 19005-3 6.8 permits embedded files (as associated files); PDF/A-1 6.1.11 forbids them",
    ),
    Waiver(
        "1.2.9",
        r"EmbeddedFile entry is present in a FileSpecification dictionary",
        "ISO 19005-3 6.8: a file specification may embed a file (with /AFRelationship); PDF/A-1 forbids it",
    ),
    Waiver(
        "7.11.2",
        r"^Error on MetaData, part must be 1$",
        "ISO 19005-3 6.6.4: a PDF/A-3 file declares pdfaid:part 3",
    ),
    Waiver(
        "4.1.2",
        r"^Transparency error, (CA|ca) entry in a ExtGState is invalid$",
        "ISO 19005-3 6.4 (as 19005-2): transparency is permitted, constant alpha included; PDF/A-1 6.4 requires 1.0",
    ),
    Waiver(
        "2.2.1",
        r"^Invalid graphics transparency, Group has a transparency S entry",
        "ISO 19005-3 6.4 and 6.2.10 (as 19005-2): transparency groups are permitted, the file having a PDF/A "
        "output intent (checked); PDF/A-1 6.4 forbids them",
    ),
    Waiver(
        "3.1.11",
        r"The CIDSet entry is missing for the Composite Subset$",
        "ISO 19005-3 6.2.11.4.2: a CIDSet is optional (if present it must be complete); PDF/A-1 6.3.5 requires it",
    ),
)


@dataclass(frozen=True)
class Finding:
    source: str  # preflight, pikepdf, qpdf, docdesk
    code: str
    message: str

    def __str__(self) -> str:
        return f"[{self.source} {self.code}] {self.message}"


@dataclass
class PdfaReport:
    path: Path
    findings: list[Finding] = field(default_factory=list)
    waived: list[Finding] = field(default_factory=list)  # Preflight errors PDF/A-3b permits

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self, limit: int = 20) -> str:
        verdict = "PDF/A-3b 校验通过" if self.ok else f"PDF/A-3b 校验未通过（{len(self.findings)} 处）"
        waived = f"（Preflight 的 PDF/A-1 专属规则豁免 {len(self.waived)} 条）" if self.waived else ""
        head = f"{self.path.name}: {verdict}{waived}"
        return "\n".join([head, *(f"  ✗ {f}" for f in self.findings[:limit])])


def validate_pdfa(path: Path, expected: dict[str, Any] | None = None, *, preflight: bool = True) -> PdfaReport:
    """Run every check on one file (see the module doc); `expected` is the JSON the attachment must hold."""
    return validate_many([path], [expected], preflight=preflight)[0]


def validate_many(
    paths: list[Path], expected: list[dict[str, Any] | None] | None = None, *, preflight: bool = True
) -> list[PdfaReport]:
    """validate_pdfa for several files with one Java start (Preflight's group mode)."""
    wanted = expected or [None] * len(paths)
    reports = [PdfaReport(p) for p in paths]
    raw = preflight_errors(paths) if preflight else [[] for _ in paths]
    for report, errors, want in zip(reports, raw, wanted, strict=True):
        for finding in errors:
            (report.waived if _waived(finding) else report.findings).append(finding)
        report.findings += pikepdf_findings(report.path)
        report.findings += qpdf_findings(report.path)
        report.findings += structure_findings(report.path, want)
    return reports


def _waived(finding: Finding) -> bool:
    return any(w.code == finding.code and re.search(w.details, finding.message) for w in PREFLIGHT_WAIVERS)


def preflight_classpath(java_dir: Path = JAVA_DIR) -> str | None:
    jars = [java_dir / f"{name}.jar" for name in PREFLIGHT_JARS]
    if not all(j.is_file() for j in jars) or shutil.which("java") is None:
        return None
    return ":".join(str(j) for j in jars)


def preflight_errors(paths: list[Path]) -> list[list[Finding]]:
    """Every error Apache PDFBox Preflight (PDF/A-1b) reports, per file; unavailable or crashed is an error."""
    classpath = preflight_classpath()
    if classpath is None:
        missing = "、".join(f"{n}.jar" for n in PREFLIGHT_JARS if not (JAVA_DIR / f"{n}.jar").is_file()) or "java"
        gone = Finding("preflight", "unavailable", f"Apache PDFBox Preflight 不可用（缺少 {missing}）")
        return [[gone] for _ in paths]
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "files.txt"
        listing.write_text("".join(f"{p.resolve()}\n" for p in paths), encoding="utf-8")
        run = subprocess.run(
            ["java", "-Xshare:auto", "-cp", classpath, PREFLIGHT_MAIN, "xml", "group", str(listing)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        result = Path(f"{listing}.preflight.xml")
        if not result.is_file():
            crash = Finding("preflight", "crash", f"Preflight 没有给出结果：{(run.stderr or run.stdout)[-500:]}")
            return [[crash] for _ in paths]
        root = ET.fromstring(result.read_bytes())
    results = root.findall("preflight")
    if len(results) != len(paths):
        crash = Finding("preflight", "crash", f"Preflight 给出 {len(results)} 个结果，应为 {len(paths)} 个")
        return [[crash] for _ in paths]
    return [_preflight_result(node) for node in results]


def _preflight_result(node: ET.Element) -> list[Finding]:
    thrown = node.find("exceptionThrown")
    if thrown is not None:
        return [Finding("preflight", "exception", (thrown.findtext("message") or "").strip())]
    if (node.findtext("isValid") or "").strip() == "true":
        return []
    found = [
        Finding("preflight", (e.findtext("code") or "").strip(), (e.findtext("details") or "").strip())
        for e in node.iter("error")
    ]
    return found or [Finding("preflight", "invalid", "Preflight 判为无效，但未列出错误")]


def pikepdf_findings(path: Path) -> list[Finding]:
    """pikepdf's PDF/A-3b verdict; anything but "pass" (violations, or constructs it cannot check) fails."""
    try:
        from pikepdf import pdfa
    except ImportError as exc:
        return [Finding("pikepdf", "unavailable", f"pikepdf 的 PDF/A 校验器不可用（需安装 pikepdf[pdfa]）：{exc}")]
    report = pdfa.validate_written(path, "3b")
    return [Finding("pikepdf", f.rule, f"{f.where}: {f.message}") for f in report.findings]


def qpdf_findings(path: Path) -> list[Finding]:
    run = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, timeout=120, check=False)
    if run.returncode == 0:
        return []
    return [Finding("qpdf", f"exit {run.returncode}", (run.stderr or run.stdout).strip()[-500:])]


def structure_findings(path: Path, expected: dict[str, Any] | None = None) -> list[Finding]:
    """Our own checks (see the module doc), with Chinese messages."""
    out: list[Finding] = []

    def fail(code: str, message: str) -> None:
        out.append(Finding("docdesk", code, message))

    try:
        pdf = pikepdf.open(path)
    except pikepdf.PdfError as exc:
        return [Finding("docdesk", "open", f"无法打开 PDF：{exc}")]
    with pdf:
        if pdf.is_encrypted:
            fail("encrypt", "PDF 已加密，PDF/A 不允许加密")
        ident = pdf.trailer.get("/ID")
        if not isinstance(ident, pikepdf.Array) or len(ident) != 2:
            fail("id", "文件尾缺少 /ID")
        status = pdf.open_metadata().pdfa_status if "/Metadata" in pdf.Root else ""
        if status != "3B":
            fail("pdfaid", f"XMP 元数据未声明 PDF/A-3b（pdfaid:part 3、conformance B），实为“{status or '无'}”")
        if not _has_srgb_intent(pdf):
            fail("output-intent", "缺少带 sRGB ICC 色彩特性文件的 PDF/A 输出意图（OutputIntent）")
        _check_attachment(pdf, expected, fail)
    return out


def _has_srgb_intent(pdf: pikepdf.Pdf) -> bool:
    for intent in pdf.Root.get("/OutputIntents", pikepdf.Array()):
        profile = intent.get("/DestOutputProfile")
        if intent.get("/S") == pikepdf.Name.GTS_PDFA1 and isinstance(profile, pikepdf.Stream):
            icc = profile.read_bytes()
            if icc[36:40] == b"acsp" and icc[16:20] == b"RGB " and int(profile.get("/N", 0)) == 3:
                return True
    return False


def _check_attachment(pdf: pikepdf.Pdf, expected: dict[str, Any] | None, fail: Any) -> None:
    names = [n for n in pdf.attachments if n.endswith(".json")]
    if len(names) != 1:
        fail("attachment", f"应恰有一个 JSON 附件，实有 {len(names)} 个")
        return
    spec = pdf.attachments[names[0]]
    associated = {f.objgen for f in pdf.Root.get("/AF", pikepdf.Array())}
    if spec.obj.objgen not in associated:
        fail("af", f"附件 {names[0]} 不在文档目录的 /AF（关联文件）中")
    if spec.obj.get("/AFRelationship") != pikepdf.Name.Data:
        fail("af-relationship", f"附件 {names[0]} 的 /AFRelationship 应为 /Data")
    stream = spec.obj.EF.F
    if str(stream.get("/Subtype")) != "/application/json":
        fail("mime", f"附件 {names[0]} 的类型应为 application/json")
    try:
        data = json.loads(spec.get_file().read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        fail("json", f"附件 {names[0]} 不是 UTF-8 JSON：{exc}")
        return
    if expected is not None and data != expected:
        differ = sorted(k for k in set(data) | set(expected) if data.get(k) != expected.get(k))
        fail("snapshot", f"附件 {names[0]} 与登记的数据不符：{'、'.join(differ)}")
