"""A reviewable text-and-structure dump of reference drafts. A template or rule change shows as a
diff here; review it, then accept with `pytest --snapshot-update` (see README)."""

from __future__ import annotations

from drafter.docx_text import dump


def test_kon_tum_2024_snapshot(doc, snapshot):
    assert "\n".join(dump(doc)) == snapshot
