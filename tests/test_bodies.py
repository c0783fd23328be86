"""Bodies too large and a zip bomb, sent to the real services over TCP
(uvicorn on free ports): a body is refused with 413 before it is read, also
when it comes chunked without a length; an upload past its cap is refused
before the whole file has even been sent; a workbook that declares it
inflates a thousandfold is refused at upload and by `povwatch publish`
before it is opened, and the services answer afterwards."""

from __future__ import annotations

import io
import json
import re
import socket
import time
import zipfile
from datetime import UTC, datetime

import httpx
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from domain.access import Role
from services.cli import app as cli
from services.infra.access import COOKIE
from services.infra.bodylimit import KIB, MIB
from services.monitor.uploads import CHUNK, Uploads
from services.monitor.workbooks import WorkbookLimits, WorkbookRefused, check_workbook
from tests.helpers import bearer, serving

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
FORM = 64 * KIB  # the default form limit (POVWATCH_FORM_MAX_KB)


@pytest.fixture
def running(broker_settings, tmp_path):
    """Both services on free ports, uploads capped at 1 MiB; the tokens of a
    staff member and a department."""
    with serving(broker_settings, tmp_path / "store", NOW, upload_max_mb=1) as (
        settings,
        monitor,
        alerts,
        base,
    ):
        tokens = {
            "wang": alerts.accounts.issue("wang", Role.STAFF, "test", township="Jinlong"),
            "mi": monitor.accounts.issue("mi", Role.PUBLISHER, "test", source="medical-insurance"),
        }
        yield settings, base, tokens


def port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def exchange(url: str, head: str, parts=()) -> tuple[int, dict[str, str], bytes, float]:
    """Sends a request's head and the given parts of its body on one
    connection and reads the answer (the rest of the body is never sent):
    the status, headers, body and the seconds it took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port(url)), timeout=15) as s:
        s.sendall(head.encode())
        for part in parts:
            s.sendall(part)
        data = b""
        try:
            while not _whole(data) and (chunk := s.recv(65536)):
                data += chunk
        except ConnectionResetError:
            pass  # what came before the reset is the answer
    took = time.monotonic() - started
    top, _, body = data.partition(b"\r\n\r\n")
    status, *lines = top.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines)}
    return int(status.split()[1]), headers, body, took


def _whole(data: bytes) -> bool:
    top, found, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", top)
    return bool(found and length and len(body) >= int(length[1]))


def head(method_path: str, **headers: str) -> str:
    lines = [f"{method_path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n"


def chunked(limit: int, size: int = 16 * KIB, first: bytes = b"") -> list[bytes]:
    """A chunked body 1 KiB past ``limit``, without its closing chunk: the
    client is still sending. Its last chunk is the small one that passes the
    limit, so that the server has read all that was sent when it refuses
    (closing a socket with data unread resets the connection)."""
    total = limit + KIB
    data = first + b"x" * (total - len(first))
    return [
        b"%x\r\n%s\r\n" % (len(p), p) for p in (data[i : i + size] for i in range(0, total, size))
    ]


def test_a_30_mib_sign_in_is_refused_before_its_body_is_read(running):
    _, base, tokens = running
    form = f"token={tokens['wang']}&pad=".encode()
    status, headers, body, took = exchange(
        base["alerts"],
        head(
            "POST /inbox/signin",
            Content_Type="application/x-www-form-urlencoded",
            Content_Length=str(30 * MIB),
        ),
        [form + b"x" * (16 * KIB)],  # the rest of the 30 MiB is never sent
    )
    assert status == 413 and took < 5, (status, took)
    assert "set-cookie" not in headers  # a valid token, never read: no sign-in
    page = body.decode()
    assert "内容过大" in page and "最多 64 KB" in page  # Chinese first, naming the limit
    # The households' public page says it in Chinese too.
    status, _, body, _ = exchange(
        base["alerts"],
        head(
            "POST /declare",
            Content_Type="application/x-www-form-urlencoded",
            Content_Length=str(30 * MIB),
        ),
        [b"description=" + b"x" * KIB],
    )
    assert status == 413 and "内容太长" in body.decode() and "64 KB" in body.decode()
    # The service answers and signs in as before.
    with httpx.Client(base_url=base["alerts"]) as browser:
        r = browser.post("/inbox/signin", data={"token": tokens["wang"]})
        assert r.status_code == 303 and COOKIE in r.cookies


def test_a_chunked_body_without_a_length_is_refused_as_it_passes_the_limit(running):
    _, base, tokens = running
    form = f"token={tokens['wang']}&pad=".encode()
    sent = chunked(FORM, first=form)
    status, headers, body, _ = exchange(
        base["alerts"],
        head(
            "POST /inbox/signin",
            Content_Type="application/x-www-form-urlencoded",
            Transfer_Encoding="chunked",
        ),
        sent,
    )
    assert status == 413 and "set-cookie" not in headers
    assert "最多 64 KB" in body.decode()
    # The API says it as a JSON problem, before the token is looked at.
    status, headers, body, _ = exchange(
        base["alerts"],
        head(
            "POST /leads",
            Authorization=f"Bearer {tokens['wang']}",
            Content_Type="application/json",
            Transfer_Encoding="chunked",
        ),
        chunked(FORM, first=b'{"note": "'),
    )
    assert status == 413 and headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 413 and problem["limit_bytes"] == FORM
    assert "64 KB" in problem["detail"]
    assert httpx.get(base["alerts"] + "/healthz").status_code == 200


MULTIPART = (
    b'--b\r\nContent-Disposition: form-data; name="file"; filename="feed.jsonl"\r\n'
    b"Content-Type: application/octet-stream\r\n\r\n"
)


def test_an_upload_over_the_cap_is_refused_before_the_file_is_sent(running):
    _, base, tokens = running
    auth = f"Bearer {tokens['mi']}"
    # Declared 10 MiB: refused at once, with 16 KiB of it sent.
    status, headers, body, took = exchange(
        base["monitor"],
        head(
            "POST /uploads",
            Authorization=auth,
            Content_Type="multipart/form-data; boundary=b",
            Content_Length=str(10 * MIB),
        ),
        [MULTIPART + b"x" * (16 * KIB)],
    )
    assert status == 413 and took < 5 and json.loads(body)["limit_bytes"] == MIB
    # Without a token, under the cap: 401 before the body is read.
    status, _, _, took = exchange(
        base["monitor"],
        head(
            "POST /uploads",
            Content_Type="multipart/form-data; boundary=b",
            Content_Length=str(MIB - KIB),
        ),
        [MULTIPART + b"x" * (16 * KIB)],
    )
    assert status == 401 and took < 5
    # Chunked, no length: refused once 1 MiB has passed; the other 9 MiB of
    # the file are never sent, so they were never held anywhere.
    status, headers, body, _ = exchange(
        base["monitor"],
        head(
            "POST /uploads",
            Authorization=auth,
            Content_Type="multipart/form-data; boundary=b",
            Transfer_Encoding="chunked",
        ),
        chunked(MIB, size=64 * KIB, first=MULTIPART),
    )
    assert status == 413 and headers["content-type"] == "application/problem+json"
    assert "1 MB" in json.loads(body)["detail"]
    # A file under the cap is still taken.
    r = httpx.post(
        base["monitor"] + "/uploads",
        headers=bearer(tokens["mi"]),
        files={"file": ("feed.jsonl", b"{oops}\n")},
    )
    assert r.status_code == 200 and r.json()["rejected_rows"] == 1, r.text


def test_the_upload_path_copies_a_file_in_chunks_and_stops_at_the_cap(base_settings, tmp_path):
    uploads = Uploads(base_settings.model_copy(update={"upload_max_mb": 1}))
    stream = io.BytesIO(b"x" * (3 * MIB))
    with pytest.raises(ValueError, match="larger than 1 MiB"):
        uploads.publish("feed.jsonl", stream, "medical-insurance")
    assert stream.tell() <= MIB + CHUNK  # read no further than the chunk that passed it


def workbook_bytes(run_mib: int = 0) -> bytes:
    """A valid workbook with a header row; with ``run_mib``, its sheet XML
    carries a cell of that many MiB of one letter: it packs to a few KiB."""
    wb = Workbook()
    wb.active.append(["event_id", "type", "household_id"])
    plain = io.BytesIO()
    wb.save(plain)
    if not run_mib:
        return plain.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                cell = b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + b"A" * (run_mib * MIB)
                before, _, after = data.partition(b"</sheetData>")
                data = before + cell + b"</t></is></c></row></sheetData>" + after
            dst.writestr(item.filename, data)
    return out.getvalue()


def test_a_zip_bomb_is_refused_at_upload_and_by_publish_before_it_is_opened(running, tmp_path):
    settings, base, tokens = running
    bomb = workbook_bytes(run_mib=32)
    assert len(bomb) < MIB / 4  # under the upload cap: only the workbook check stops it
    started = time.monotonic()
    r = httpx.post(
        base["monitor"] + "/uploads",
        headers=bearer(tokens["mi"]),
        files={"file": ("loans.xlsx", bomb)},
        timeout=30,
    )
    assert r.status_code == 422 and time.monotonic() - started < 3, r.text
    reason = r.json()["detail"]
    assert "xl/worksheets/sheet1.xml" in reason and "more than 100 times" in reason
    assert httpx.get(base["monitor"] + "/healthz").status_code == 200
    file = tmp_path / "loans.xlsx"
    file.write_bytes(bomb)
    env = {
        "POVWATCH_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "POVWATCH_EVENTS_TOPIC": settings.events_topic,
        "POVWATCH_STATE_DIR": str(tmp_path / "state"),
    }
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["publish", str(file), "--source", "x"], env=env)
    assert result.exit_code == 2 and time.monotonic() - started < 10, result.output
    assert "more than 100 times" in " ".join(result.output.split())


def test_a_workbook_is_held_to_its_total_its_parts_and_being_a_zip(tmp_path):
    file = tmp_path / "w.xlsx"
    file.write_bytes(workbook_bytes())
    check_workbook(file, WorkbookLimits())  # an ordinary workbook passes
    with pytest.raises(WorkbookRefused, match="unpacks to .* more than 10 KB"):
        check_workbook(file, WorkbookLimits(total_bytes=10 * KIB))
    with pytest.raises(WorkbookRefused, match="parts in the archive, more than 3"):
        check_workbook(file, WorkbookLimits(entries=3))
    file.write_bytes(b"event_id,type\r\n")
    with pytest.raises(WorkbookRefused, match="not an XLSX workbook"):
        check_workbook(file, WorkbookLimits())
