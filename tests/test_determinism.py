from __future__ import annotations

from drafter import pipeline


def test_same_inputs_give_identical_bytes(data, kontum_2024):
    again = pipeline.draft(data, "Kon Tum", 2024)
    assert again.docx == kontum_2024.docx


def test_different_year_gives_different_bytes(data, kontum_2024):
    assert pipeline.draft(data, "Kon Tum", 2025).docx != kontum_2024.docx
