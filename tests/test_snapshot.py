"""Reviewable text-and-structure dumps of reference drafts. A template or rule change shows as a
diff here; review it, then accept with `pytest --snapshot-update` (see README).

These supplement the content tests (test_content, test_dates), which assert what a reviewer
checks; a snapshot alone proves nothing about correctness."""

from __future__ import annotations

import pytest

from drafter import pipeline
from drafter.cli import slug
from drafter.docx_text import dump, open_docx


def test_kon_tum_2024_snapshot(doc, snapshot):
    assert "\n".join(dump(doc)) == snapshot


# One case per shape of the law and the map: before NQ 76, the seed years, the year of the 2025
# mergers, the first two-tier plan, the first plan under QĐ 282, and the end of the period.
CASES = [("Kon Tum", 2021), ("Tuyên Quang", 2022), ("Nam Định", 2023), ("Kon Tum", 2025),
         ("Quảng Ngãi", 2026), ("Tuyên Quang", 2027), ("Hà Nội", 2030)]


@pytest.mark.parametrize("province,year", CASES, ids=[f"{slug(p)}-{y}" for p, y in CASES])
def test_reference_drafts(data, snapshot, province, year):
    draft = pipeline.draft(data, province, year)
    assert "\n".join(dump(open_docx(draft.docx))) == snapshot


# The other forms of issue (rulepacks/kinds.yaml), one case each.
FORM_CASES = [("Kon Tum", 2024, "qd"), ("Tuyên Quang", 2026, "qd"), ("Nam Định", 2024, "kh-chu-tich")]


@pytest.mark.parametrize("province,year,form", FORM_CASES, ids=[f"{slug(p)}-{y}-{f}" for p, y, f in FORM_CASES])
def test_reference_drafts_in_other_forms(data, snapshot, province, year, form):
    draft = pipeline.draft(data, province, year, kind=form)
    assert "\n".join(dump(open_docx(draft.docx))) == snapshot


# A department's plans (rulepacks/department/), one case per kind: seed 003's Sở and year, and after the mergers.
DEPARTMENT_CASES = [("Sở Khoa học và Công nghệ", "tuyen-truyen", 2022), ("Sở Khoa học và Công nghệ", "cchc", 2027)]


@pytest.mark.parametrize("agency,kind,year", DEPARTMENT_CASES,
                         ids=[f"{slug(a)}-{k}-{y}" for a, k, y in DEPARTMENT_CASES])
def test_reference_department_drafts(data, snapshot, agency, kind, year):
    ctx = pipeline.department_context(data, agency, kind, "Quảng Ngãi", year)
    draft = pipeline.render(data, ctx)
    assert "\n".join(dump(open_docx(draft.docx))) == snapshot
