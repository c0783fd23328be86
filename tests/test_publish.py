"""`povwatch publish`: a department's file to the real broker, with a
rejection report, and nothing published twice."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from services.cli import app
from synthetic.sample import Builder
from tests.helpers import read_topic

ON = date(2026, 5, 1)


@pytest.fixture
def env(broker_settings, tmp_path):
    settings = broker_settings
    return {
        "POVWATCH_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "POVWATCH_EVENTS_TOPIC": settings.events_topic,
        "POVWATCH_DLQ_TOPIC": settings.dlq_topic,
        "POVWATCH_TASKS_TOPIC": settings.tasks_topic,
        "POVWATCH_STATE_DIR": str(tmp_path / "state"),
    }


def run(env, *args):
    return CliRunner().invoke(app, ["publish", *map(str, args)], env=env)


def rejections(path) -> list[dict]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 that Excel reads as such
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def test_jsonl_publishes_valid_rows_reports_the_rest_and_reruns_publish_nothing(
    broker_settings, env, tmp_path
):
    b = Builder("mi")
    good = [b.illness(f"H-{i}", ON, "9000.00", "7000.00") for i in range(3)]
    bad = b.illness("H-9", ON, "100.00", "200.00")  # reimbursed more than the cost
    file = tmp_path / "illness.jsonl"
    lines = [json.dumps(m) for m in good[:2]] + ["{oops", json.dumps(bad), json.dumps(good[2])]
    file.write_text("\n".join(lines) + "\n")

    first = run(env, file, "--source", "medical-insurance")
    assert first.exit_code == 1, first.output
    assert "published 3" in first.output and "rejected 2 row(s)" in first.output
    report = rejections(tmp_path / "illness.jsonl.rejections.csv")
    assert [(r["row"], r["field"]) for r in report] == [("3", ""), ("4", "data")]
    assert "reimbursed_yuan exceeds total_cost_yuan" in report[1]["reason"]

    again = run(env, file, "--source", "medical-insurance")
    assert "published 0, already published 3" in again.output
    records = read_topic(broker_settings, broker_settings.events_topic, expect=4, timeout=8)
    assert sorted(r.key for r in records) == [b"H-0", b"H-1", b"H-2"]


def test_a_signed_file_names_its_account_and_its_report_runs_no_formula(
    broker_settings, env, tmp_path
):
    from domain.access import Role, Roster
    from services.infra.access import token_hash
    from services.infra.senders import sender_of

    b, token = Builder("signed"), "pw_" + "t" * 43
    formula = {**b.illness("H-8", ON, "10.00", "5.00"), '=HYPERLINK("http://evil.example")': 1}
    file, token_file = tmp_path / "signed.jsonl", tmp_path / "token"
    file.write_text(json.dumps(b.illness("H-7", ON, "9.00", "7.00")) + "\n" + json.dumps(formula))
    token_file.write_text(token + "\n")
    args = ("--source", "medical-insurance", "--account", "mi", "--token-file", token_file)
    assert run(env, file, *args).exit_code == 1
    (report,) = rejections(tmp_path / "signed.jsonl.rejections.csv")
    assert report["field"] == '\'=HYPERLINK("http://evil.example")'  # text in Excel
    roster = Roster()
    at = datetime(2026, 5, 1, tzinfo=UTC)
    roster.issue("mi", Role.PUBLISHER, token_hash(token), at, "t", source="medical-insurance")
    (record,) = read_topic(broker_settings, broker_settings.events_topic, expect=1, timeout=8)
    assert sender_of(roster, record.headers, record.value, "t") == "medical-insurance"
    assert run(env, file, "--source", "medical-insurance", "--account", "mi").exit_code == 2


def test_csv_rows_are_typed_by_the_contract(broker_settings, env, tmp_path):
    file = tmp_path / "registry.csv"
    with file.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "type",
                "household_id",
                "occurred_at",
                "township",
                "village",
                "members",
                "labour_capable",
                "card",
                "flags",
            ]
        )
        w.writerow(
            [
                "household.registered",
                "H-1",
                "2026-05-01T09:00:00+08:00",
                "Jinlong",
                "Xinquan",
                "3",
                "2",
                "yellow",
                "relocated;dibao",
            ]
        )
        w.writerow(
            [
                "household.registered",
                "H-2",
                "2026-05-01T09:00:00+08:00",
                "Jinlong",
                "Xinquan",
                "three",
                "2",
                "yellow",
                "",
            ]
        )
    result = run(env, file, "--source", "poverty-office")
    assert "published 1" in result.output, result.output
    (row,) = rejections(tmp_path / "registry.csv.rejections.csv")
    assert (row["row"], row["field"]) == ("3", "data.members")
    (record,) = read_topic(broker_settings, broker_settings.events_topic, expect=1)
    message = json.loads(record.value)
    assert message["data"]["flags"] == ["relocated", "dibao"] and message["data"]["members"] == 3
    assert message["event_id"].startswith("row-")  # derived, so a re-run is recognised
    assert "already published 1" in run(env, file, "--source", "poverty-office").output


def test_a_csv_says_in_chinese_whether_a_stay_outside_the_county_was_referred(
    broker_settings, env, tmp_path
):
    file = tmp_path / "住院.csv"
    head = ["type", "household_id", "occurred_at", "person_ref", "severity"]
    head += ["total_cost_yuan", "reimbursed_yuan", "in_county", "referred"]
    stay = ["illness.reported", "", "2026-05-01T09:00:00+08:00", "p1", "major", "9000", "6000"]
    with file.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(head)
        for hid, in_county, referred in [
            ("H-1", "否", "是"),
            ("H-2", "否", "否"),
            ("H-3", "否", ""),  # not said
            ("H-4", "是", "否"),  # a referral is for a stay outside the county
        ]:
            w.writerow(stay[:1] + [hid] + stay[2:] + [in_county, referred])
    result = run(env, file, "--source", "medical-insurance")
    assert "published 3" in result.output, result.output
    (row,) = rejections(tmp_path / "住院.csv.rejections.csv")
    assert row["row"] == "5" and "referred is for a stay outside the county" in row["reason"]
    records = read_topic(broker_settings, broker_settings.events_topic, expect=3)
    said = {r.key.decode(): json.loads(r.value)["data"] for r in records}
    assert [said[h].get("referred") for h in ("H-1", "H-2", "H-3")] == [True, False, None]
    assert not any(d["in_county"] for d in said.values())


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_a_csv_from_excel_with_chinese_place_names(broker_settings, env, tmp_path, encoding):
    """Excel on a Chinese Windows saves a CSV in GBK (GB18030), or in UTF-8
    with a byte order mark: either way the names arrive as written."""
    file = tmp_path / "建档.csv"
    header = "type,household_id,occurred_at,township,village,members,labour_capable,card"
    rows = [
        "household.registered,H-1,2026-05-01T09:00:00+08:00,金龙镇,荷花村,3,2,yellow",
        "household.registered,H-2,五月一日,金龙镇,荷花村,三,2,yellow",
    ]
    file.write_bytes("\r\n".join([header, *rows, ""]).encode(encoding))
    result = run(env, file, "--source", "poverty-office")
    assert "published 1" in result.output, result.output
    (record,) = read_topic(broker_settings, broker_settings.events_topic, expect=1)
    assert "金龙镇".encode() in record.value  # UTF-8 JSON, not escapes
    data = json.loads(record.value)["data"]
    assert (data["township"], data["village"], data["members"]) == ("金龙镇", "荷花村", 3)
    fields = {r["field"] for r in rejections(tmp_path / "建档.csv.rejections.csv")}
    assert {"occurred_at", "data.members"} <= fields


def test_a_csv_in_no_known_encoding_is_refused_with_its_reason(env, tmp_path):
    file = tmp_path / "broken.csv"
    file.write_bytes(b"type,household_id\r\nhousehold.registered,\xff\xfe\xff\r\n")
    result = run(env, file, "--source", "poverty-office")
    assert result.exit_code == 1 and "published 0" in result.output, result.output
    (row,) = rejections(tmp_path / "broken.csv.rejections.csv")
    assert row["row"] == "1" and "neither UTF-8 nor GB18030" in row["reason"]


def test_xlsx(broker_settings, env, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(
        ["event_id", "type", "household_id", "occurred_at", "loan_id", "principal_yuan", "due_date"]
    )
    ws.append(
        ["b-1", "loan.issued", "H-7", "2026-05-01T09:00:00+08:00", "L-1", 20000, "2027-05-01"]
    )
    file = tmp_path / "loans.xlsx"
    wb.save(file)
    result = run(env, file, "--source", "rural-commercial-bank")
    assert result.exit_code == 0 and "published 1" in result.output, result.output
    (record,) = read_topic(broker_settings, broker_settings.events_topic, expect=1)
    assert json.loads(record.value)["data"]["principal_yuan"] == "20000"


def test_a_file_of_another_kind_is_refused_clearly(env, tmp_path):
    file = tmp_path / "events.txt"
    file.write_text("x")
    result = run(env, file, "--source", "x-dept")
    assert result.exit_code == 2 and "use a .jsonl, .csv or .xlsx file" in result.output


def test_a_publisher_uploads_a_file_over_http_as_its_own_department(broker_settings, tmp_path):
    from services.households.app import Households
    from services.households.statusview import open_view
    from services.infra.access import open_accounts
    from services.infra.policyfile import load_policies
    from services.infra.senders import sender_of
    from services.monitor.api import create_app
    from services.monitor.uploads import Uploads
    from tests.helpers import clients

    settings = broker_settings.model_copy(
        update={
            "store": "sqlite",
            "sqlite_dir": tmp_path / "store",
            "state_dir": tmp_path / "state",
        }
    )
    households, view, accounts = (
        Households(env=settings.store_env("Monitor")),
        open_view(settings),
        open_accounts(settings),
    )
    uploads = Uploads(settings, accounts)
    book = load_policies(settings)
    app = create_app(households, view, accounts, uploads=uploads, policies=lambda: book)
    who = clients(app, accounts, mi=("publisher", "medical-insurance"), county=("county", None))
    b = Builder("up")
    rows = [b.illness("H-1", ON, "9000.00", "7000.00"), b.illness("H-2", ON, "100.00", "200.00")]
    other = {**b.illness("H-3", ON, "10.00", "5.00"), "source": "civil-affairs"}
    body = "\n".join(json.dumps(r) for r in [*rows, other]).encode()
    r = who["mi"].post("/uploads", files={"file": ("feed.jsonl", body)})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["published"] == 1 and report["rejected_rows"] == 2
    assert {x["row"]: x["field"] for x in report["rejected"]} == {2: "data", 3: "source"}
    (message,) = read_topic(settings, settings.events_topic, expect=1)
    assert json.loads(message.value)["source"] == "medical-insurance"
    # Signed for the account that uploaded it: a dead letter of it is that account's.
    roster, topic = accounts.roster(), settings.events_topic
    assert sender_of(roster, message.headers, message.value, topic) == "medical-insurance"
    tampered = message.value.replace(b"medical-insurance", b"civil-affairs")
    assert sender_of(roster, message.headers, tampered, topic) == f"topic:{topic}"
    again = who["mi"].post("/uploads", files={"file": ("feed.jsonl", body)}).json()
    assert again["published"] == 0 and again["already_published"] == 1
    r = who["mi"].post("/uploads", files={"file": ("feed.exe", b"MZ")})
    assert r.status_code == 422 and ".jsonl, .csv or .xlsx" in r.json()["detail"]
    assert who["county"].post("/uploads", files={"file": ("feed.jsonl", body)}).status_code == 403
    uploads.close()
    households.close()
    accounts.close()
    view.datastore.close()


def test_a_csv_of_disability_certificates_types_the_grade_and_reports_a_bad_row(
    broker_settings, env, tmp_path
):
    file = tmp_path / "残疾人证.csv"
    head = ["type", "household_id", "occurred_at", "person_ref", "status"]
    head += ["effective_on", "category", "grade"]
    at = "2026-05-01T09:00:00+08:00"
    with file.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(head)
        w.writerow(
            ["disability.changed", "H-1", at, "p1", "certified", "2026-04-20", "physical", 2]
        )
        w.writerow(["disability.changed", "H-2", at, "p2", "cancelled", "2026-04-20", "", ""])
        w.writerow(["disability.changed", "H-3", at, "p3", "certified", "2026-04-20", "visual", ""])
    result = run(env, file, "--source", "disabled-persons-federation")
    assert "published 2" in result.output, result.output
    (row,) = rejections(tmp_path / "残疾人证.csv.rejections.csv")
    assert row["row"] == "4" and "category and grade" in row["reason"]
    records = read_topic(broker_settings, broker_settings.events_topic, expect=2)
    said = {r.key.decode(): json.loads(r.value)["data"] for r in records}
    assert said["H-1"]["grade"] == 2 and said["H-1"]["category"] == "physical"
    assert said["H-2"].get("grade") is None and said["H-2"]["status"] == "cancelled"
