"""The forms a province issues its plan in (rulepacks/kinds.yaml): `kh` (a KH of the Ủy ban nhân dân),
`kh-chu-tich` (a KH the Chủ tịch issues) and `qd` (a Quyết định of the Chủ tịch, or of the Ủy ban as
a body, that issues the plan attached to it). Read back as a reviewer reads them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from drafter import pipeline
from drafter.cli import main
from drafter.docx_text import blocks, cell_text, open_docx

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def qd(data):
    return pipeline.draft(data, "Kon Tum", 2024, kind="qd")


@pytest.fixture(scope="module")
def qd_doc(qd):
    return open_docx(qd.docx)


def _sequence(doc) -> list[tuple[str, object]]:
    """(text, block) of every paragraph and table in document order; a table as its cells' text."""
    out = []
    for b in blocks(doc):
        if isinstance(b, Table):
            out.append((" | ".join(cell_text(c) for row in b.rows for c in row.cells), b))
        elif b.text.strip():
            out.append((b.text, b))
    return out


def _index(seq, start: int, test) -> int:
    return next(i for i in range(start, len(seq)) if test(seq[i][0]))


def _style(p: Paragraph, attr: str) -> bool:
    value = getattr(p.style.font, attr)
    return bool(value) or any(getattr(r.font, attr) for r in p.runs if r.text.strip())


def test_the_quyet_dinh_reads_in_the_order_of_nd30(qd_doc):
    seq = _sequence(qd_doc)
    texts = [t for t, _ in seq]
    header = _index(seq, 0, lambda t: "Số:" in t)
    assert "/QĐ-UBND" in texts[header] and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts[header]
    ten_loai = _index(seq, header, lambda t: t == "QUYẾT ĐỊNH")
    assert texts[ten_loai + 1] == "Ban hành Kế hoạch cải cách hành chính nhà nước\ntỉnh Kon Tum năm 2024"
    competence = _index(seq, ten_loai, lambda t: t.startswith("CHỦ TỊCH ỦY BAN NHÂN DÂN"))
    assert texts[competence] == "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH KON TUM"
    # căn cứ: the law on local government first (as in force on 15/12/2023, with its 2019 amendment),
    # then what the QĐ implements; each its own italic line ending ";"
    first = competence + 1
    proposal = _index(seq, first, lambda t: t.startswith("Theo đề nghị"))
    bases = seq[first:proposal]
    assert len(bases) >= 3
    assert bases[0][0].startswith("Căn cứ Luật Tổ chức chính quyền địa phương số 77/2015/QH13")
    assert "47/2019/QH14" in bases[0][0]
    assert any("76/NQ-CP" in t for t, _ in bases)
    assert all(t.startswith("Căn cứ ") and t.endswith(";") and _style(p, "italic") for t, p in bases)
    assert texts[proposal].startswith("Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số ")
    assert texts[proposal].endswith(".")
    decide = _index(seq, proposal, lambda t: t == "QUYẾT ĐỊNH:")
    assert decide == proposal + 1
    articles = seq[decide + 1:decide + 4]
    for n, (text, p) in enumerate(articles, 1):
        assert text.startswith(f"Điều {n}. ")
        lead = next(r for r in p.runs if r.text.strip())
        assert lead.text.strip() == f"Điều {n}." and lead.bold  # "Điều N." bold, the article upright
        assert not _style(p, "italic")
        assert p.paragraph_format.first_line_indent or p.style.paragraph_format.first_line_indent
    assert "Ban hành kèm theo Quyết định này Kế hoạch" in articles[0][0]
    assert articles[1][0] == "Điều 2. Quyết định này có hiệu lực kể từ ngày ký."
    assert articles[2][0].endswith("chịu trách nhiệm thi hành Quyết định này./.")
    sig_text, sig = seq[decide + 4]
    assert isinstance(sig, Table)
    recipients = [p.text for p in sig.cell(0, 0).paragraphs if p.text.startswith("- ")]
    assert recipients[0] == "- Như Điều 3;" and recipients[-1].startswith("- Lưu: VT, ")
    signer = [p.text for p in sig.cell(0, 1).paragraphs if p.text.strip()]
    assert signer == ["CHỦ TỊCH", "Lê Ngọc Tuấn"]  # no "TM." line: the Chủ tịch issues it (ND 30)
    # the attached plan: issuing body and motto, no Số and no date line
    attached = seq[decide + 5]
    assert isinstance(attached[1], Table) and "ỦY BAN NHÂN DÂN" in attached[0] and "Độc lập" in attached[0]
    assert "Số:" not in attached[0] and "ngày" not in attached[0]
    assert texts[decide + 6] == "KẾ HOẠCH"
    assert texts[decide + 7] == "Cải cách hành chính nhà nước trên địa bàn tỉnh Kon Tum năm 2024"
    reference = texts[decide + 8]
    assert reference.startswith("(Kèm theo Quyết định số") and "/QĐ-UBND ngày" in reference
    assert reference.endswith("của Chủ tịch Ủy ban nhân dân tỉnh Kon Tum)")
    assert _style(seq[decide + 8][1], "italic")
    assert texts[decide + 9] == "I. MỤC TIÊU, YÊU CẦU"  # the body from section I: no căn cứ, no "ban hành"
    after = texts[decide + 9:]
    assert not any(t.startswith("Căn cứ") or "như sau:" in t for t in after)
    assert not any("Nơi nhận" in t or "TM. ỦY BAN NHÂN DÂN" in t for t in after)  # no signature of its own
    # the appendix names the QĐ
    appendix = _index(seq, decide + 9, lambda t: t.startswith("Phụ lục"))
    assert texts[appendix + 2].startswith("(Kèm theo Quyết định số")


def test_the_quyet_dinh_has_three_sections(qd_doc):
    s = qd_doc.sections
    assert [x.orientation for x in s] == [WD_ORIENT.PORTRAIT, WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE]
    # the attached plan and the appendix are numbered on their own, from 1
    for sec in s[1:]:
        pg = sec._sectPr.find(qn("w:pgNumType"))
        assert pg is not None and pg.get(qn("w:start")) == "1"
    assert s[0]._sectPr.find(qn("w:pgNumType")) is None


def test_fonts_are_times_new_roman_at_nd30_sizes(qd_doc):
    styles = {s.name: s for s in qd_doc.styles}
    for name in ("KH Title", "QD Can cu", "KH Body", "KH Sign"):
        st = styles[name]
        assert st.font.name == "Times New Roman" and st.font.size.pt == 14, name
    assert styles["QD Can cu"].font.italic and styles["KH Title"].font.bold
    assert styles["KH Noi nhan list"].font.size.pt == 11


def test_qd_and_kh_carry_the_same_plan(data, qd):
    kh = pipeline.plan_context(data, "Kon Tum", 2024, kind="kh")
    assert [p.text for p in qd.context.body] == [p.text for p in kh.body]
    assert [r.cells for r in qd.context.appendix] == [r.cells for r in kh.appendix]
    # and in the documents: the body paragraphs, from section I to the last before the signature
    doc_kh = open_docx(pipeline.render(data, kh).docx)

    def body(doc) -> list[str]:
        texts = [t for t, b in _sequence(doc) if isinstance(b, Paragraph)]
        start = texts.index("I. MỤC TIÊU, YÊU CẦU")
        end = next(i for i in range(start, len(texts)) if texts[i].endswith("./."))
        return texts[start:end + 1]

    assert body(open_docx(qd.docx)) == body(doc_kh)


def test_the_signature_forms(data):
    """Chủ tịch: "CHỦ TỊCH"; a Phó Chủ tịch: "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH"; never "TM." unless the
    Ủy ban issues as a body."""
    deputy = next((p for p in data.provinces.values() for s in p.signers if s.authority == "KT"), None)
    assert deputy is not None, "no province signs KT. in the data"
    signer = next(s for s in deputy.signers if s.authority == "KT")
    year = signer.when.min_year or signer.when.max_year or 2021
    ctx = pipeline.plan_context(data, deputy.name, year, kind="qd")
    assert (ctx.signature.authority, ctx.signature.deputy, ctx.signature.title) == ("", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    doc = open_docx(pipeline.render(data, ctx).docx)
    assert [p.text for p in doc.tables[1].cell(0, 1).paragraphs if p.text.strip()][:2] == ["KT. CHỦ TỊCH",
                                                                                           "PHÓ CHỦ TỊCH"]
    kh = pipeline.plan_context(data, deputy.name, year, kind="kh")
    assert (kh.signature.authority, kh.signature.deputy) == ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH")


def test_kh_issued_by_the_chu_tich(data):
    ctx = pipeline.plan_context(data, "Kon Tum", 2024, kind="kh-chu-tich")
    assert ctx.ban_hanh.text.startswith("Chủ tịch Ủy ban nhân dân tỉnh Kon Tum ban hành Kế hoạch")
    assert ctx.labels["so"] == "Số:      /KH-UBND"
    doc = open_docx(pipeline.render(data, ctx).docx)
    signer = [p.text for p in doc.tables[1].cell(0, 1).paragraphs if p.text.strip()]
    assert signer == ["CHỦ TỊCH", "Lê Ngọc Tuấn"]
    assert "TM. ỦY BAN NHÂN DÂN" not in "\n".join(p.text for p in doc.paragraphs)
    plain = pipeline.plan_context(data, "Kon Tum", 2024)
    assert [p.text for p in plain.body] == [p.text for p in ctx.body]


def test_the_law_on_local_government_in_force_is_cited(data):
    """2015 law (+ 2019 amendment) for plans drafted before 2025; the 2025 law after 16/6/2025."""
    old = pipeline.plan_context(data, "Tuyên Quang", 2022, kind="qd")
    new = pipeline.plan_context(data, "Tuyên Quang", 2026, kind="qd")
    assert old.preamble[0].text.startswith("Căn cứ Luật Tổ chức chính quyền địa phương số 77/2015/QH13")
    assert new.preamble[0].text.startswith("Căn cứ Luật Tổ chức chính quyền địa phương số 72/2025/QH15")
    assert "77/2015" not in " ".join(p.text for p in new.preamble)
    assert new.articles[2].text.count("Ủy ban nhân dân cấp xã") == 1  # no district level after 1/7/2025


def test_proposal_and_replaced_decision(data):
    from drafter.resolve import DocRef
    import datetime as dt

    ctx = pipeline.plan_context(data, "Kon Tum", 2024, kind="qd",
                                proposal=DocRef("125/TTr-SNV", dt.date(2023, 12, 10)),
                                replaces=DocRef("1256/QĐ-UBND", dt.date(2022, 12, 22)))
    assert ctx.ban_hanh.text == ("Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số 125/TTr-SNV ngày 10 tháng 12 "
                                 "năm 2023.")
    assert not any(r.check for r in ctx.ban_hanh.runs)
    assert ctx.articles[1].text == ("Điều 2. Quyết định này có hiệu lực kể từ ngày ký và thay thế Quyết định số "
                                    "1256/QĐ-UBND ngày 22 tháng 12 năm 2022.")
    blank = pipeline.plan_context(data, "Kon Tum", 2024, kind="qd")
    marked = [r for r in blank.ban_hanh.runs if r.check]
    assert [r.text for r in marked] == ["……/TTr-SNV ngày ……"] and "Tờ trình" in marked[0].check


def _data_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    for name in ("rulepacks", "legal_refs", "templates"):
        shutil.copytree(ROOT / name, dst / name)
    return dst


def test_a_province_issues_in_its_own_form_by_default(tmp_path, monkeypatch):
    """A layer's `forms:` entry makes the QĐ the province's default; `issuer: ubnd` makes it the
    Ủy ban's, signed "TM. ỦY BAN NHÂN DÂN"."""
    data_dir = _data_copy(tmp_path)
    profile = data_dir / "rulepacks" / "provinces" / "kon-tum.yaml"
    text = profile.read_text(encoding="utf-8")
    assert "\n  layer:\n" in text
    profile.write_text(text.replace("\n  layer:\n", "\n  layer:\n    forms:\n      - {form: qd, issuer: ubnd}\n", 1),
                       encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    r = CliRunner().invoke(main, ["new", "-p", "Kon Tum", "-y", "2024", "--data-dir", str(data_dir)])
    assert r.exit_code == 0, r.output
    doc = open_docx((out / "QD-CCHC-2024-kon-tum.docx").read_bytes())
    texts = [p.text for p in doc.paragraphs]
    assert "ỦY BAN NHÂN DÂN TỈNH KON TUM" in texts
    assert [p.text for p in doc.tables[1].cell(0, 1).paragraphs if p.text.strip()][:2] == ["TM. ỦY BAN NHÂN DÂN",
                                                                                           "CHỦ TỊCH"]
    assert any(t.startswith("(Kèm theo Quyết định") and t.endswith("của Ủy ban nhân dân tỉnh Kon Tum)") for t in texts)
    # --form kh still gives the KH
    r = CliRunner().invoke(main, ["new", "-p", "Kon Tum", "-y", "2024", "--form", "kh", "--data-dir", str(data_dir)])
    assert r.exit_code == 0 and (out / "KH-CCHC-2024-kon-tum.docx").is_file()


def test_an_unknown_form_in_a_layer_is_a_located_error(tmp_path):
    data_dir = _data_copy(tmp_path)
    profile = data_dir / "rulepacks" / "provinces" / "kon-tum.yaml"
    text = profile.read_text(encoding="utf-8")
    profile.write_text(text.replace("\n  layer:\n", "\n  layer:\n    forms:\n      - {form: nq}\n", 1), encoding="utf-8")
    r = CliRunner().invoke(main, ["check", str(data_dir)])
    assert r.exit_code == 1 and "layer form 'nq' is not a document kind" in r.output and "kon-tum.yaml" in r.output


@pytest.mark.parametrize("args, option, says", [
    (["--form", "nq"], "--form", "unknown form 'nq'"),
    (["--form", "qd", "--proposal", "Tờ trình 125"], "--proposal", "is not a Tờ trình number and date"),
    (["--form", "qd", "--proposal", "125/TTr-SNV 2023-02-30"], "--proposal", "is not a date"),
    (["--form", "qd", "--proposal", "125/QĐ-UBND 2023-12-10"], "--proposal", "is not a Tờ trình"),
    (["--form", "qd", "--replaces", "1256/QĐ-UBND 2024-01-05"], "--replaces", "dated after the drafting date"),
    (["--form", "qd", "--date", "2023-12-20", "--proposal", "125/TTr-SNV 2023-12-21"], "--proposal",
     "dated after the QĐ's date"),
    (["--proposal", "125/TTr-SNV 2023-12-10"], "--proposal", "belong to a Quyết định"),
])
def test_bad_form_options_are_refused_and_nothing_is_written(tmp_path, args, option, says):
    out = tmp_path / "x.docx"
    r = CliRunner().invoke(main, ["new", "-p", "Kon Tum", "-y", "2024", "-o", str(out), *args])
    assert r.exit_code == 2, r.output
    assert f"drafter: error: {option}: " in r.output and says in r.output
    assert "Traceback" not in r.output and list(tmp_path.iterdir()) == []
    if option == "--form":
        assert "kh-chu-tich" in r.output and "qd (" in r.output  # the list of forms


def test_provenance_explain_and_diff_cover_the_qd(tmp_path):
    out = tmp_path / "qd.docx"
    r = CliRunner().invoke(main, ["new", "-p", "Kon Tum", "-y", "2024", "--form", "qd", "-o", str(out)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["explain", str(out), "Theo đề nghị của Giám đốc"])
    assert r.exit_code == 0, r.output
    assert "de_nghi" in r.output and "kinds.yaml" in r.output
    r = CliRunner().invoke(main, ["explain", str(out), "Chánh Văn phòng"])
    assert r.exit_code == 0 and "dieu_3" in r.output
    red = tmp_path / "red.docx"
    r = CliRunner().invoke(main, ["diff", "-p", "Kon Tum", "--from", "2023", "--to", "2024", "--form", "qd",
                                  "--redline", str(red)])
    assert r.exit_code == 0, r.output
    body = open_docx(red.read_bytes()).element.body
    inserted = " ".join(t.text or "" for ins in body.iter(qn("w:ins")) for t in ins.iter(qn("w:t")))
    assert "2024" in inserted
    # the QĐ's two-line trích yếu keeps its line break through the redline
    title = next(p for p in body.iter(qn("w:p")) if "Ban hành Kế hoạch" in "".join(p.itertext()))
    assert title.find(f".//{qn('w:br')}") is not None


def test_batch_writes_every_province_in_the_form_asked(tmp_path):
    r = CliRunner().invoke(main, ["batch", "-y", "2024", "-p", "Kon Tum", "-p", "Nam Định", "-d", str(tmp_path),
                                  "--form", "qd", "-j", "1"])
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in tmp_path.glob("*.docx"))
    assert names == ["QD-CCHC-2024-kon-tum.docx", "QD-CCHC-2024-nam-dinh.docx"]


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def test_libreoffice_converts_every_form(data, tmp_path):
    if SOFFICE is None:
        if os.environ.get("DRAFTER_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice (soffice) is required here (DRAFTER_REQUIRE_LIBREOFFICE=1)")
        pytest.skip("LibreOffice (soffice) not installed")
    files = []
    # a commune's and a department's plans: test_communes, test_departments
    for kind in (k for k, form in data.kinds.items() if form.builder not in ("commune", "department")):
        path = tmp_path / f"{kind}.docx"
        path.write_bytes(pipeline.draft(data, "Kon Tum", 2024, kind=kind).docx)
        files.append(path)
    subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, files)],
                   check=True, capture_output=True, timeout=600)
    for path in files:
        pdf = path.with_suffix(".pdf")
        assert pdf.is_file() and pdf.stat().st_size > 5000, path.name
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "qd.pdf"), "-"], capture_output=True,
                              check=True, timeout=60).stdout.decode("utf-8")
        assert "QUYẾT ĐỊNH:" in text and "Điều 3." in text and "(Kèm theo Quyết định số" in text
