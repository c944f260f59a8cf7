"""Sign-in rules of the staff pages that need no server: roles per service, throttling, where sign-in may lead."""

from __future__ import annotations

import pytest

from owes_service.pages.accounts import SERVICE_ROLES, InvalidAccount, check_new_account
from owes_service.pages.web import SignInThrottle, _safe_next


class TestAccounts:
    def test_the_coordinator_belongs_to_reporting_only(self):
        assert "coordinator" in SERVICE_ROLES["reporting"]
        assert all("coordinator" not in SERVICE_ROLES[s] for s in ("recruitment", "advisory", "grants"))

    @pytest.mark.parametrize(
        ("service", "login", "role", "password", "why"),
        [
            ("recruitment", "anna", "grant_officer", "x" * 12, "does not exist in recruitment"),
            ("payroll", "anna", "recruiter", "x" * 12, "unknown service"),
            ("recruitment", "A nna", "recruiter", "x" * 12, "a login is"),
            ("recruitment", "anna", "recruiter", "short", "at least 12"),
        ],
    )
    def test_refuses_an_account_that_cannot_exist(self, service, login, role, password, why):
        with pytest.raises(InvalidAccount, match=why):
            check_new_account(service=service, login=login, role=role, password=password)


class TestThrottle:
    def test_five_failures_for_one_login_make_it_wait(self):
        throttle = SignInThrottle(per_login=5, per_address=100, window=900)
        for _ in range(4):
            throttle.failed(login="anna", address="10.0.0.1")
        assert throttle.wait_seconds(login="anna", address="10.0.0.1") == 0
        throttle.failed(login="anna", address="10.0.0.1")
        assert 0 < throttle.wait_seconds(login="anna", address="10.0.0.2") <= 900
        assert throttle.wait_seconds(login="jan", address="10.0.0.2") == 0

    def test_one_address_guessing_many_logins_is_stopped(self):
        throttle = SignInThrottle(per_login=5, per_address=3, window=900)
        for login in ("a1", "a2", "a3"):
            throttle.failed(login=login, address="10.0.0.9")
        assert throttle.wait_seconds(login="a4", address="10.0.0.9") > 0

    def test_a_success_clears_the_login_s_failures(self):
        throttle = SignInThrottle(per_login=2, per_address=100, window=900)
        throttle.failed(login="anna", address="x")
        throttle.succeeded(login="anna")
        throttle.failed(login="anna", address="x")
        assert throttle.wait_seconds(login="anna", address="y") == 0


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/panel/participants/p_1", "/panel/participants/p_1"),
        ("https://evil.example/", "/panel/home"),
        ("//evil.example/panel/", "/panel/home"),
        ("/docs", "/panel/home"),
        ("/panel/\\evil", "/panel/home"),
    ],
)
def test_sign_in_leads_only_to_a_page_of_the_console(target, expected):
    assert _safe_next(target, "/panel/home") == expected
