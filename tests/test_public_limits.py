"""The public pages' limits under attack: another spelling of a card's link,
a fresh address per request, an X-Forwarded-For header through the real
HTTP server, a crowd of senders at /declare, and the pushes that their
declarations cause. Each test makes the attack and sees it refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from domain.notify import NotifyConfig
from services.alerts.bootstrap import open_cases
from services.alerts.inbox import declare_public
from services.cases.contacts import ContactBook, PostgresContactView, SQLiteContactView, new_key
from services.cases.declarations import Declarations
from services.infra import httpserver, views
from services.infra.links import BadLink, CardLink, LinkSigner
from services.infra.ratelimit import Limiter, PublicLimits
from services.infra.settings import Settings
from services.notify.bootstrap import notice_follower, open_notify
from tests.helpers import free_port, wait_for
from tests.receivers import WECOM_KEY, Robots
from tests.test_declare import PLACES_LIST, _world, app_of, path_of

T0 = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
GOOD = {"hardship": "other", "description": "家里困难，需要帮助"}
# Spellings itsdangerous alone would read as the same link.
SPELLINGS = ("=", "==", "~~~~", "~", "!", "中")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def one_store(base_settings, tmp_path):
    """The limits are the process's, not the store's: one store is enough."""
    settings = base_settings.model_copy(update={"store": "sqlite", "sqlite_dir": tmp_path / "s"})
    cases, decl = _world(settings)
    yield cases, decl
    cases.close()


def form_of(page: httpx.Response) -> str:
    return page.text.split('name="form" value="')[1].split('"')[0]


# A card's link


def test_a_card_link_has_one_spelling():
    signer = LinkSigner("a-secret-for-the-tests-only")
    token = signer.token(CardLink("430624-0001", "城西镇", "东风村", 1))
    assert signer.read(token).household_id == "430624-0001"
    for extra in SPELLINGS:
        with pytest.raises(BadLink):
            signer.read(token + extra)


def test_another_spelling_of_a_card_link_is_refused_as_an_invalid_link(one_store):
    _, decl = one_store
    client, path = app_of(decl), path_of(decl, "430624-0001")
    for extra in SPELLINGS:
        r = client.get(path + extra)
        assert r.status_code == 404 and "链接无效或已失效" in r.text, extra
    assert client.get(path).status_code == 200


def test_a_card_declares_up_to_its_limit_whatever_the_spelling_and_the_address(one_store):
    """Ten declarations on one card, each from a fresh address and some with
    padding appended: the card's five a day are stored, the spellings are
    refused as invalid, the rest are told to wait."""
    cases, decl = one_store
    app, path = app_of(decl).app, path_of(decl, "430624-0002")
    answers: list[tuple[str, int]] = []
    for i, extra in enumerate(["", "=", "", "~~~~", "", "==", "", "", "~", "", "", "", ""]):
        phone = TestClient(app, client=(f"10.0.1.{i}", 50000))
        form = form_of(phone.get(path))
        r = phone.post(path + extra, data={"form": form, **GOOD}, follow_redirects=False)
        answers.append((extra, r.status_code))
    assert {code for extra, code in answers if extra} == {404}
    assert [code for extra, code in answers if not extra] == [303] * 5 + [429] * 4
    case = cases.case(cases.record("430624-0002").open_case)
    assert len(case.leads) == 5


def test_a_card_s_views_are_limited_across_addresses(one_store):
    _, decl = one_store
    app = app_of(decl, PublicLimits(link_views="3/minute")).app
    path = path_of(decl, "430624-0001")
    codes = [
        TestClient(app, client=(f"10.0.2.{i}", 50000)).get(path + extra).status_code
        for i, extra in enumerate(["", "=", "", "~~~~", "", ""])
    ]
    assert codes == [200, 404, 200, 404, 200, 429]


# Addresses behind proxies, through the real HTTP server


@contextmanager
def served(app: FastAPI, settings: Settings) -> Iterator[str]:
    port = free_port()
    server = httpserver.server(app, settings, port, host="127.0.0.1")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=10, what="the HTTP server to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def views_from(base: str, path: str, forwarded: list[str]) -> list[int]:
    with httpx.Client(base_url=base) as client:
        return [client.get(path, headers={"X-Forwarded-For": f}).status_code for f in forwarded]


def test_x_forwarded_for_from_an_unknown_peer_gives_no_fresh_allowance(
    one_store, base_settings, monkeypatch
):
    """The peer is 127.0.0.1, which uvicorn trusts by default, and the
    environment asks uvicorn to trust everyone: neither is povwatch's
    setting, so every request counts against the peer's address."""
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    _, decl = one_store
    app = app_of(decl, PublicLimits(address_views="3/minute")).app
    path = path_of(decl, "430624-0001")
    with served(app, base_settings) as base:
        codes = views_from(base, path, [f"203.0.113.{i}" for i in range(5)])
    assert codes == [200, 200, 200, 429, 429]


def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(one_store, base_settings):
    _, decl = one_store
    app = app_of(decl, PublicLimits(address_views="3/minute")).app
    path = path_of(decl, "430624-0001")
    behind = base_settings.model_copy(update={"trusted_proxies": "127.0.0.1, 10.0.0.0/8"})
    with served(app, behind) as base:
        clients = views_from(base, path, [f"203.0.113.{i}" for i in range(5)])
        # What a client writes before the proxy's entry is not believed: the
        # address is the last one that is not a trusted proxy's.
        spoofed = views_from(base, path, [f"198.51.100.{i}, 203.0.113.50" for i in range(4)])
    assert clients == [200] * 5
    assert spoofed == [200, 200, 200, 429]


def test_trusted_proxies_must_be_addresses_or_networks():
    for bad in ("*", "proxy.local", "10.1.2.3/16"):
        with pytest.raises(ValueError, match="not an address or network"):
            Settings(trusted_proxies=bad)
    assert Settings().proxies() == []


# The county's cap on /declare


@pytest.fixture
def public(store_settings):
    cases, decl = _world(store_settings)
    view = views.open_view(
        store_settings.store_env("Contacts"), "Contacts", SQLiteContactView, PostgresContactView
    )
    book = ContactBook(cases, view, new_key(), lambda: T0)
    capped = store_settings.model_copy(update={"declare_posts_per_hour": 3})
    limits = replace(PublicLimits.of(capped), address_posts="2/hour")
    app = FastAPI()
    sources = declare_public.PublicSources(
        decl, book, lambda: PLACES_LIST, Limiter(limits), "form-secret"
    )
    app.include_router(declare_public.router(sources))
    yield cases, view, app
    cases.close()


def capped_count() -> float:
    labels = {"page": "declare_public", "outcome": "capped"}
    return REGISTRY.get_sample_value("povwatch_public_requests_total", labels) or 0.0


def test_one_sender_cannot_use_up_the_county_s_declarations_and_the_cap_holds(public):
    """Address A posts five times: two pass its own limit, and the three
    refused use none of the county's three an hour; B takes the third; C
    finds the cap reached, is told so in Chinese, and nothing of it is kept."""
    cases, view, app = public
    before = capped_count()

    def post(address: str) -> httpx.Response:
        sender = TestClient(app, client=(address, 50000))
        form = form_of(sender.get("/declare", params={"township": "城西镇"}))
        data = {"form": form, "township": "城西镇", "village": "东风村", "contact": "村口小卖部"}
        return sender.post("/declare", data={**data, **GOOD}, follow_redirects=False)

    first = [post("10.0.3.1").status_code for _ in range(5)]
    assert first == [303, 303, 429, 429, 429]
    assert post("10.0.3.2").status_code == 303
    refused = post("10.0.3.3")
    assert refused.status_code == 429 and "网上申报暂时已满" in refused.text
    assert "已达上限" in refused.text and "未提交" in refused.text
    assert 3000 < int(refused.headers["Retry-After"]) <= 3600
    assert capped_count() - before == 1
    assert view.search().total == 3  # three contacts sealed, none of the refused
    assert TestClient(app).get("/declare").status_code == 200  # the page still answers


# The pushes declarations cause


@pytest.fixture
def robots():
    r = Robots().start()
    yield r
    r.stop()


def test_the_pushes_of_a_crowd_of_declarations_stop_at_the_group_s_cap(
    store_settings, robots, monkeypatch
):
    """Five declarations in an hour reach the township's group as three
    lines; the other two wait in the inbox's lists. The next hour's
    declaration is pushed again."""
    monkeypatch.setenv("CX_WECOM_KEY", WECOM_KEY)
    clock = Clock()
    cases = open_cases(store_settings, clock)
    decl = Declarations(cases, LinkSigner("a-secret-for-the-tests-only"), {}.get, "http://t", clock)
    view = views.open_view(
        store_settings.store_env("Contacts"), "Contacts", SQLiteContactView, PostgresContactView
    )
    book = ContactBook(cases, view, new_key(), clock)
    config = NotifyConfig.model_validate(
        {
            "grouping": {"wait_s": 0, "interval_s": 10, "repeat_s": 3600, "declared_per_hour": 3},
            "receivers": [
                {
                    "id": "cx-staff", "kind": "wecom", "township": "城西镇", "roles": ["staff"],
                    "url": robots.url("wecom"), "key": {"env": "CX_WECOM_KEY"},
                }
            ],
        }
    )  # fmt: skip
    parts = open_notify(store_settings, config, lambda kind, code: code, clock)
    follower = notice_follower(cases, parts, cases.case_at, lambda: cases.procedure, lambda: [])

    def declare(n: int) -> list[str]:
        refs = []
        for _ in range(n):
            clock.now += timedelta(minutes=1)
            args = ("城西镇", "东风村", *GOOD.values(), "村口小卖部", book)
            refs.append(decl.declare_unregistered(PLACES_LIST, *args))
        return refs

    def pushed() -> str:
        follower.catch_up()
        for f in parts.view_followers:
            f.catch_up()
        parts.dispatcher.flush()
        for f in parts.view_followers:
            f.catch_up()
        parts.dispatcher.deliver()
        return "\n".join(b["markdown"]["content"] for b in robots.received["wecom"])

    try:
        refs = declare(5)
        text = pushed()
        assert [ref in text for ref in refs] == [True] * 3 + [False] * 2
        assert "新线索 3" in text
        assert all(cases.record(ref).open_case for ref in refs)  # every lead is kept
        clock.now += timedelta(hours=1)
        [later] = declare(1)
        assert later in pushed() and len(robots.received["wecom"]) == 2
    finally:
        parts.notify.close()
        cases.close()
