import base64

import pytest
from fastapi import HTTPException

from owes_service.auth import (
    Access,
    Authenticator,
    InvalidCredentialEntry,
    Principal,
    RouteKind,
    credential_line,
    generate_api_key,
    hash_api_key,
    is_allowed,
    parse_credential,
    split_entries,
)


def authenticator(service="recruitment", **kwargs) -> tuple[Authenticator, dict[str, str]]:
    keys = {"partner:recruitment": generate_api_key(), "lead": generate_api_key(), "integrator": generate_api_key()}
    credentials = [parse_credential(credential_line(role.split(":")[-1], role, key)) for role, key in keys.items()]
    return Authenticator(service=service, credentials=credentials, **kwargs), keys


class TestApiKeys:
    def test_new_keys_are_long_random_and_recognisable(self):
        keys = {generate_api_key() for _ in range(100)}
        assert len(keys) == 100
        assert all(k.startswith("owes_") and len(k) >= 45 for k in keys)

    def test_settings_hold_only_the_sha256_of_a_key(self):
        key = generate_api_key()
        line = credential_line("zory", "partner:advisory", key)
        assert key not in line
        assert line == f"zory partner:advisory {hash_api_key(key)}"
        assert parse_credential(line).principal == Principal("zory", "partner:advisory")

    @pytest.mark.parametrize(
        "line",
        [
            "zory partner:advisory",  # no hash
            "zory partner:advisory owes_plaintextkey",  # a key in clear
            "zory partner:advisory sha256:abc",  # not a sha256
            "zory admin sha256:" + "0" * 64,  # unknown role
            "zory partner:Advisory sha256:" + "0" * 64,
            "bad name lead sha256:" + "0" * 64,
        ],
    )
    def test_rejects_malformed_entries(self, line):
        with pytest.raises(InvalidCredentialEntry):
            parse_credential(line)

    def test_entries_split_on_commas_and_lines_and_skip_comments(self):
        text = "a lead sha256:1, b integrator sha256:2\n# rotated 2025-01\n\nc lead sha256:3  # old laptop"
        assert split_entries(text) == ["a lead sha256:1", "b integrator sha256:2", "c lead sha256:3"]


class TestAuthenticate:
    def test_bearer_key_identifies_its_principal(self):
        auth, keys = authenticator()
        assert auth.authenticate(f"Bearer {keys['lead']}") == Principal("lead", "lead")

    def test_basic_password_is_the_key_for_browsers(self):
        auth, keys = authenticator()
        basic = base64.b64encode(f"whoever:{keys['integrator']}".encode()).decode()
        assert auth.authenticate(f"Basic {basic}") == Principal("integrator", "integrator")

    @pytest.mark.parametrize(
        "header",
        [None, "", "Bearer", "Bearer ", "Token abc", "Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()],
    )
    def test_missing_or_malformed_credentials_are_401_with_a_challenge(self, header):
        auth, _ = authenticator()
        with pytest.raises(HTTPException) as caught:
            auth.authenticate(header)
        assert caught.value.status_code == 401
        assert caught.value.headers["WWW-Authenticate"].startswith('Bearer realm="owes-recruitment"')
        assert caught.value.extra_challenges == ['Basic realm="owes-recruitment"']

    def test_unknown_key_is_401_invalid_token(self):
        auth, _ = authenticator()
        with pytest.raises(HTTPException) as caught:
            auth.authenticate(f"Bearer {generate_api_key()}")
        assert caught.value.status_code == 401
        assert 'error="invalid_token"' in caught.value.headers["WWW-Authenticate"]

    def test_disabled_authentication_makes_everyone_the_operator(self):
        auth, _ = authenticator(enabled=False)
        assert auth.authenticate(None).role == "partner:recruitment"

    def test_wrong_role_is_403(self):
        auth, _ = authenticator()
        with pytest.raises(HTTPException) as caught:
            auth.authorize(Principal("lead", "lead"), access=Access.WRITE, kind=RouteKind.DATA)
        assert caught.value.status_code == 403


class TestOperators:
    def test_each_partner_operates_the_service_of_its_name(self):
        assert authenticator("advisory")[0].operator == "partner:advisory"

    def test_the_lead_operates_reporting(self):
        assert authenticator("reporting")[0].operator == "lead"

    def test_every_partner_reads_reporting_by_default(self):
        assert authenticator("reporting")[0].readers == ("partner:*",)

    def test_settings_may_name_other_readers(self):
        assert authenticator(readers=["lead"])[0].readers == ("lead",)

    def test_rejects_a_reader_role_that_does_not_exist(self):
        with pytest.raises(InvalidCredentialEntry):
            authenticator(readers=["everyone"])


READ, WRITE = Access.READ, Access.WRITE
DATA, CATALOGUE, AUDIT = RouteKind.DATA, RouteKind.CATALOGUE, RouteKind.AUDIT


class TestPolicy:
    @pytest.mark.parametrize("access,kind", [(READ, DATA), (WRITE, DATA), (READ, CATALOGUE), (READ, AUDIT)])
    def test_operator_reads_and_writes_everything_of_its_service(self, access, kind):
        assert is_allowed(role="partner:grants", operator="partner:grants", readers=(), access=access, kind=kind)

    @pytest.mark.parametrize("role", ["partner:recruitment", "lead", "integrator"])
    def test_nobody_else_writes(self, role):
        assert not is_allowed(
            role=role, operator="partner:grants", readers=("lead", "partner:*"), access=WRITE, kind=DATA
        )

    @pytest.mark.parametrize("role", ["partner:recruitment", "lead", "integrator"])
    def test_nobody_else_reads_data_unless_listed(self, role):
        assert not is_allowed(role=role, operator="partner:grants", readers=(), access=READ, kind=DATA)

    def test_a_listed_reader_reads_data(self):
        assert is_allowed(role="lead", operator="partner:grants", readers=("lead",), access=READ, kind=DATA)

    def test_any_partner_wildcard_covers_partners_not_integrators(self):
        readers = ("partner:*",)
        assert is_allowed(role="partner:advisory", operator="lead", readers=readers, access=READ, kind=DATA)
        assert not is_allowed(role="integrator", operator="lead", readers=readers, access=READ, kind=DATA)

    @pytest.mark.parametrize("role", ["partner:recruitment", "lead", "integrator"])
    def test_everyone_authenticated_reads_the_event_catalogue(self, role):
        assert is_allowed(role=role, operator="partner:grants", readers=(), access=READ, kind=CATALOGUE)

    @pytest.mark.parametrize("role", ["partner:recruitment", "lead", "integrator"])
    def test_only_the_operator_reads_the_audit_log_even_as_a_listed_reader(self, role):
        assert not is_allowed(
            role=role, operator="partner:grants", readers=(role, "partner:*"), access=READ, kind=AUDIT
        )
