"""`drafter check`: every problem as path:line:col, exit 1 when there is an error."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from drafter.checks import check, errors
from drafter.cli import main
from test_errors import _edit, _patch_template


def _check(data: Path):
    return CliRunner().invoke(main, ["check", str(data)], catch_exceptions=False)


def test_clean_fixture_passes_with_warnings(mini):
    res = _check(mini)
    assert res.exit_code == 0, res.output
    assert "0 error(s)" in res.output and "warning: 118/2025/NĐ-CP status U" in res.output


def test_yaml_error_listed_and_fails(mini):
    _edit(mini / "rulepacks/national/agencies.yaml", "  - role: tai_chinh\n", "  - role: tai_chinh\n    oops: [\n")
    res = _check(mini)
    assert res.exit_code == 1
    assert re.search(r"agencies\.yaml:\d+:\d+: error: YAML syntax error", res.output)


def test_unknown_references(mini):
    _edit(mini / "rulepacks/national/appendix.yaml", "lead: [noi_vu]", "lead: [noi_vu_x]")
    _edit(mini / "rulepacks/national/appendix.yaml", "area: tthc", "area: tthc-x")
    _edit(mini / "rulepacks/national/areas.yaml", "cite('61-2018-nd-cp')", "cite('61-2018-nd')")
    _edit(mini / "legal_refs/national/core.yaml", "replaced_by: [118-2025-nd-cp]", "replaced_by: [118-2025]")
    res = _check(mini)
    assert res.exit_code == 1
    out = res.output
    assert re.search(r"appendix\.yaml:2:\d+: error: appendix row names unknown role 'noi_vu_x'", out), out
    assert re.search(r"appendix\.yaml:3:\d+: error: appendix row area 'tthc-x'", out), out
    assert re.search(r"areas\.yaml:13:\d+: error: cite\('61-2018-nd'\): no such instrument", out), out
    assert re.search(r"core\.yaml:\d+:\d+: error: replaced_by names unknown instrument '118-2025'", out), out


def test_dates_out_of_order(mini):
    _edit(mini / "legal_refs/national/core.yaml", "    signed: 2018-04-23\n",
          "    signed: 2018-04-23\n    effective: 2018-01-01\n")
    res = _check(mini)
    assert res.exit_code == 1
    assert "effective 2018-01-01 is before signed 2018-04-23" in res.output


def test_role_ending_without_gate(mini):
    _edit(mini / "rulepacks/national/targets.yaml", "{{ ag('noi_vu') | capfirst }} chủ trì.",
          "{{ ag('ubnd_huyen') | capfirst }} chủ trì.")
    res = _check(mini)
    assert res.exit_code == 1 and "ag('ubnd_huyen') names a role that ends on 2025-07-01" in res.output


def test_value_set_for_a_year_before_it_applies(mini):
    _edit(mini / "rulepacks/national/targets.yaml", "{from: 2026-01-01, for_year: 2030,", "{from: 2026-01-01, for_year: 2024,")
    res = _check(mini)
    assert res.exit_code == 1 and "value 90% is set for 2024 but applies from 2026-01-01" in res.output


def _check_layer(mini, layer: str):
    """`drafter check` on the mini data with `layer` (YAML under `layer:`) opening Kon Tum's profile;
    the layer's first key is then on line 3 of the file."""
    _edit(mini / "rulepacks/provinces/kon-tum.yaml", "province:\n", "province:\n  layer:\n" + layer)
    return _check(mini)


def test_layer_that_drops_an_unknown_rule(mini):
    res = _check_layer(mini, "    drop:\n      - {id: no-such-rule, reason: not ours}\n")
    assert res.exit_code == 1
    assert "kon-tum.yaml:4:14:" in res.output and "drop names 'no-such-rule'" in res.output


def test_template_smart_quotes_and_unknown_variables(mini):
    _patch_template(mini, "{%p if p.kind == 'muc' %}", "{%p if p.kind == ‘muc’ %}")
    _patch_template(mini, "{{ labels.so }}", "{{ so_van_ban }}")
    findings = check(mini)
    text = "\n".join(map(str, findings))
    assert "smart quotes inside a tag" in text and "‘muc’" in text
    assert "template uses 'so_van_ban', which the plan context does not provide" in text
    assert errors(findings)


def test_template_tag_split_across_runs(mini):
    _patch_template(mini, "<w:t>{{ labels.so }}</w:t>", "<w:t>{{ labels.</w:t></w:r><w:r><w:t>so }}</w:t>")
    text = "\n".join(map(str, check(mini)))
    assert "split across Word runs" in text


def test_two_paragraph_tags_in_one_paragraph(mini):
    _patch_template(mini, "<w:t>{%p endfor %}</w:t>", "<w:t>{%p endfor %}{%p if 1 %}{%p endif %}</w:t>")
    text = "\n".join(map(str, check(mini)))
    assert "two {%p … %} tags in one paragraph" in text


def test_layer_values_and_items_must_name_real_rules(mini):
    res = _check_layer(mini, "    values:\n      t-khong-co: [{from: 2024-01-01, for_year: 2024, value: '5%'}]\n"
                             "    items:\n      - {id: x-1, block: r-khong-co, text: Một việc.}\n")
    assert res.exit_code == 1
    assert "values for 't-khong-co', which is not a target" in res.output
    assert "item 'x-1' names block 'r-khong-co'" in res.output and "kon-tum.yaml:6:14:" in res.output


def test_layer_rule_placed_after_a_missing_rule_is_located_at_the_rule(mini):
    res = _check_layer(mini, "    targets:\n"
                             "      - {id: t-x, area: tthc, text: \"X.\", responsibility: \"Y.\", after: khong-co}\n")
    assert res.exit_code == 1
    assert "kon-tum.yaml:4:14:" in res.output and "placed relative to 'khong-co'" in res.output
