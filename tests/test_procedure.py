"""The procedure file: the packaged one loads and cites a source for every
default; a bad one is refused with the line to fix."""

from __future__ import annotations

import pytest

from domain.procedure import CASE_KINDS, STAGES
from services.infra.procedurefile import (
    DEFAULT_PROCEDURE,
    ProcedureError,
    load_procedure,
    parse_procedure,
)

TEXT = DEFAULT_PROCEDURE.read_text(encoding="utf-8")


def line_of(text: str, fragment: str) -> int:
    """The 1-based line where ``fragment`` first occurs."""
    return text[: text.index(fragment)].count("\n") + 1


def refused(text: str) -> str:
    with pytest.raises(ProcedureError) as e:
        parse_procedure(text, "procedure.yaml")
    return str(e.value)


def test_the_packaged_procedure_loads():
    procedure = load_procedure(None)
    assert set(procedure.stages) == set(STAGES)
    for kind in CASE_KINDS:
        order = procedure.order(kind)
        assert order[0] == "verify" and order[-1] == "county_decision"
    assert procedure.order("identification") == list(STAGES)
    assert procedure.calendar.years == []


def test_every_default_cites_its_source():
    procedure = load_procedure(DEFAULT_PROCEDURE)
    sources = {f"stages.{name}": rule.source for name, rule in procedure.stages.items()}
    sources |= {
        "notice": procedure.notice.source,
        "plan": procedure.plan.source,
        "clearance": procedure.clearance.source,
        "escalation": procedure.escalation.source,
        "decision": procedure.decision_source,
    }
    assert len(sources) == len(STAGES) + 5
    assert {k: v for k, v in sources.items() if not v.strip()} == {}


def test_an_empty_source_is_refused():
    escalation = TEXT.split("\nescalation:", 1)[1]
    cited = next(line for line in escalation.splitlines() if line.startswith("  source: "))
    text = TEXT.replace(cited, '  source: ""')
    line = line_of(text, '  source: ""')
    assert f"procedure.yaml:{line}: escalation.source: String should have at least 1" in (
        refused(text)
    )


def test_stages_out_of_order_are_refused_at_their_kind():
    text = TEXT.replace(
        "clearance: [verify, village_review, notice,",
        "clearance: [verify, notice, village_review,",
    )
    line = line_of(text, "  clearance: [verify")
    message = refused(text)
    assert (
        f"procedure.yaml:{line}: kinds.clearance: Value error, stages in the procedure's order"
        in (message)
    )


def test_a_kind_without_the_county_decision_is_refused():
    text = TEXT.replace(
        ", township_review, county_decision]\n  # Clearance", ", township_review]\n  # Clearance"
    )
    line = line_of(text, "  identification: [verify")
    assert (
        f"procedure.yaml:{line}: kinds.identification: Value error, starts with verification"
        in (refused(text))
    )


def test_a_missing_kind_is_refused_at_the_kinds():
    text = TEXT.replace("  clearance: [verify, village_review,", "  # clearance: [verify,")
    line = line_of(text, "  identification: [verify")
    assert f"procedure.yaml:{line}: kinds: Value error, list the stages of every kind" in (
        refused(text)
    )


def test_an_unknown_role_is_refused_at_its_line():
    text = TEXT.replace("roles: [reviewer]", "roles: [mayor]")
    line = line_of(text, "roles: [mayor]")
    message = refused(text)
    assert message.startswith(
        f"procedure.yaml:{line}: stages.township_review.roles.0: Input should be"
    )


def test_a_day_both_off_and_on_is_refused_in_the_file():
    text = TEXT.replace("  days_on: []", "  days_on: [2026-10-05]").replace(
        "  days_off: []", "  days_off: [2026-10-05]"
    )
    line = line_of(text, "  years: []")
    assert f"procedure.yaml:{line}: calendar: Value error, a day cannot be both off and on" in (
        refused(text)
    )


def test_bad_yaml_is_refused_with_its_line():
    text = TEXT.replace("  min_days: 5", "  min_days: @5")
    line = line_of(text, "@5")
    assert refused(text).startswith(f"procedure.yaml:{line}: not valid YAML: found character '@'")
    assert refused("- a list\n") == "procedure.yaml:1: expected a mapping with 'stages' and 'kinds'"


def test_the_packaged_stages_fit_the_decision_limit():
    procedure = load_procedure(None)
    limit = procedure.decision_within
    assert limit.working_days == 20
    for kind in CASE_KINDS:
        spans = [procedure.stages[s].due.most("working_days") for s in procedure.order(kind)]
        assert sum(spans) <= 20
    assert procedure.roles("crosscheck") == ["county"]
    assert procedure.stages["crosscheck"].due.days == 5
    assert "village" in procedure.clearance.roles


def test_stages_that_cannot_fit_the_limit_are_refused_at_its_line():
    text = TEXT.replace("decision_within: {working_days: 20}", "decision_within: {days: 15}")
    line = line_of(text, "decision_within:")
    message = refused(text)
    # 2 working days take up to 4 days; 5 up to 7; 3 up to 5: 4+5+5+7+4+4 = 29
    assert f"procedure.yaml:{line}: decision_within: Value error, the identification stages" in (
        message
    )
    assert "= 29 days, beyond the limit of 15" in message


def test_a_longer_stage_that_breaks_the_limit_is_refused():
    text = TEXT.replace("    due: {working_days: 3}", "    due: {working_days: 5}")
    line = line_of(text, "decision_within:")
    assert f"procedure.yaml:{line}: decision_within:" in refused(text)
    assert "= 21 working days, beyond the limit of 20" in refused(text)


def test_a_file_without_a_consent_section_still_loads():
    start = TEXT.index("consent:\n")
    end = TEXT.index("notice:\n", start)
    procedure = parse_procedure(TEXT[:start] + TEXT[end:])
    assert procedure.consent.roles == ["village", "staff"]
