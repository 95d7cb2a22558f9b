from __future__ import annotations

import io
import zipfile

from drafter import pipeline


def _entries(docx: bytes) -> dict[str, bytes]:
    z = zipfile.ZipFile(io.BytesIO(docx))
    return {i.filename: z.read(i) for i in z.infolist()}


def test_same_inputs_give_identical_bytes(data, kontum_2024):
    again = pipeline.draft(data, "Kon Tum", 2024)
    a, b = _entries(kontum_2024.docx), _entries(again.docx)
    assert list(a) == list(b)
    for name in a:
        assert a[name] == b[name], name
    assert again.docx == kontum_2024.docx


def test_different_year_gives_different_bytes(data, kontum_2024):
    assert pipeline.draft(data, "Kon Tum", 2025).docx != kontum_2024.docx
