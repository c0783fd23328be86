"""Both services' OpenAPI, explored by schemathesis: whatever a client
sends, no server error; and no operation answers anything but 401 or 403 to
a request without a token or with the token of a role it does not serve."""

from __future__ import annotations

from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from domain.access import Role
from services.monitor.api import create_app as monitor_app
from services.monitor.uploads import Uploads
from tests.helpers import bearer
from tests.test_alerts import YEAR, clock, world  # noqa: F401

PUBLIC = {"/healthz", "/readyz"}
HOUSEHOLD_READERS = {Role.STAFF, Role.COUNTY, Role.REVIEWER, Role.APPROVER}
# The procedure's operations serve every role that takes part in it; which
# stage each may act at is the domain's rule (tests/test_cases.py).
CASE_ROLES = {Role.STAFF, Role.COUNTY, Role.VILLAGE, Role.REVIEWER, Role.APPROVER}
CASE_PATHS = [
    "/cases",
    "/cases/overview",
    "/cases/{case_id}",
    "/cases/{case_id}/notice",
    "/cases/{case_id}/notice.pdf",
    "/cases/{case_id}/authorisation.pdf",
    "/cases/{case_id}/verification",
    "/cases/{case_id}/authorisation",
    "/cases/{case_id}/help-first",
    "/cases/{case_id}/crosscheck",
    "/cases/{case_id}/village-review",
    "/cases/{case_id}/objections",
    "/cases/{case_id}/notice/close",
    "/cases/{case_id}/township-review",
    "/cases/{case_id}/decision",
    "/monitoring",
    "/monitoring/{household_id}",
    "/monitoring/{household_id}/plan",
    "/monitoring/{household_id}/plan/{measure_id}",
    "/monitoring/{household_id}/clearance",
    "/monitoring/{household_id}/tasks/{task_id}/close",
    "/monitoring/{household_id}/category",
    "/announcements.pdf",
]
REPORT_PATHS = [
    "/reports/monthly/{month}",
    "/reports/monthly/{month}.pdf",
    "/reports/monthly/{month}/charts/{name}.svg",
]
# Which roles each operation serves; an operation missing here fails the test.
SERVES = {
    "/tasks": {Role.STAFF, Role.COUNTY},
    "/tasks/{task_id}": {Role.STAFF, Role.COUNTY},
    "/tasks/{task_id}/acknowledge": {Role.STAFF, Role.COUNTY},
    "/tasks/{task_id}/visits": {Role.STAFF, Role.COUNTY},
    "/tasks/{task_id}/measures": {Role.STAFF, Role.COUNTY},
    "/tasks/{task_id}/resolve": {Role.STAFF, Role.COUNTY},
    "/tasks/{task_id}/dismiss": {Role.STAFF, Role.COUNTY},
    "/silences": {Role.OPERATOR},
    "/silences/{silence_id}/end": {Role.OPERATOR},
    "/households": HOUSEHOLD_READERS,
    "/standard": HOUSEHOLD_READERS,
    "/households/{household_id}": HOUSEHOLD_READERS,
    "/households/{household_id}/timeline": HOUSEHOLD_READERS,
    "/uploads": {Role.PUBLISHER},
    "/feeds": {Role.OPERATOR},
    "/pushes": {Role.OPERATOR},
    # Leads staff found: village staff, township staff and reviewers, the county.
    "/leads": {Role.VILLAGE, Role.STAFF, Role.REVIEWER, Role.COUNTY},
    # A household outside the registry's contact: its township's staff only.
    "/contacts/{household_id}": {Role.STAFF, Role.REVIEWER},
    # Prometheus scrapes with a metrics account: /metrics and nothing else.
    "/metrics": {Role.OPERATOR, Role.METRICS},
    **dict.fromkeys(CASE_PATHS, CASE_ROLES),
    # Every role of the procedure has its area's ledgers (the help tasks' too
    # for staff and the county; the others' answer to that one is 403).
    "/ledgers/{kind}.xlsx": CASE_ROLES,
    # The monthly report is the county office's (county and approver accounts).
    **dict.fromkeys(REPORT_PATHS, {Role.COUNTY, Role.APPROVER}),
}
# Derandomized: the same cases each run, so that CI is repeatable; a failure
# found once becomes a regression test (e.g. offsets past 64-bit integers).
FUZZ = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@pytest.fixture
def apps(world, broker_settings):  # noqa: F811
    service, w = world
    w.send(
        w.b.register("H-1", date(2025, 1, 1), "yellow", members=3, labour=2),
        w.b.income("H-1", date(2026, 5, 31), "9000.00", *YEAR),
    )
    accounts = service.accounts
    tokens = {
        Role.STAFF: accounts.issue("staff", Role.STAFF, "test", township="Jinlong"),
        Role.COUNTY: accounts.issue("county", Role.COUNTY, "test"),
        Role.OPERATOR: accounts.issue("ops", Role.OPERATOR, "test"),
        Role.PUBLISHER: accounts.issue("dept", Role.PUBLISHER, "test", source="civil-affairs"),
        Role.VILLAGE: accounts.issue(
            "village", Role.VILLAGE, "test", township="Jinlong", village="Xinquan"
        ),
        Role.REVIEWER: accounts.issue("reviewer", Role.REVIEWER, "test", township="Jinlong"),
        Role.APPROVER: accounts.issue("approver", Role.APPROVER, "test"),
        Role.METRICS: accounts.issue("prometheus", Role.METRICS, "test"),
    }
    uploads = Uploads(broker_settings.model_copy(update={"state_dir": service.settings.sqlite_dir}))
    monitor = monitor_app(
        service.households,
        service.risk,
        accounts,
        uploads=uploads,
        policies=lambda: service.alerts.policies,
    )
    yield {"alerts": service.web_app(), "monitor": monitor}, tokens
    uploads.close()


def _roles_tried(case, tokens):
    path = case.operation.path
    assert path in SERVES or path in PUBLIC, f"{case.method} {path}: say which roles it serves"
    if path in PUBLIC:
        assert case.call().status_code < 500, (case.method, path)
        return
    response = case.call()
    assert response.status_code == 401, (case.method, path, response.status_code)
    for role, token in tokens.items():
        response = case.call(headers=bearer(token))
        if role in SERVES[path]:
            assert response.status_code < 500, (role, case.method, path, response.text)
        else:
            assert response.status_code == 403, (role, case.method, path, response.status_code)


@pytest.mark.parametrize("service", ["alerts", "monitor"])
def test_every_operation_denies_by_default_and_never_errs(apps, service):
    tokens = apps[1]
    # The description itself is for operators and the county office (tests/test_roles_scope.py).
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", apps[0][service], headers=bearer(tokens[Role.OPERATOR])
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def explore(case):
            # Every role once: a role the operation serves never gets a 5xx,
            # any other gets 403 (the anonymous call 401).
            _roles_tried(case, tokens)

        explore()


def test_every_operation_is_listed(apps):
    for app in apps[0].values():
        paths = set(app.openapi()["paths"])
        assert paths <= set(SERVES) | PUBLIC, sorted(paths - set(SERVES) - PUBLIC)
