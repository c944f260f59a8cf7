import stat

from owes_cli.main import main
from owes_cli.system import LocalSystem
from owes_service.auth import Authenticator, parse_credential, split_entries


def authenticator_of(env: dict, service: str) -> Authenticator:
    entries = split_entries(env[f"{service.upper()}_API_KEYS"])
    return Authenticator(service=service, credentials=[parse_credential(e) for e in entries])


class TestLocalSystemCredentials:
    def test_keys_are_made_once_kept_private_and_reused(self, tmp_path):
        first = LocalSystem(data_dir=tmp_path).load_api_keys()
        mode = stat.S_IMODE((tmp_path / "api-keys.json").stat().st_mode)
        assert mode == 0o600
        assert LocalSystem(data_dir=tmp_path).load_api_keys() == first
        assert set(first) == {"partner:recruitment", "partner:advisory", "partner:grants", "lead", "integrator"}

    def test_each_service_lets_in_its_operator_by_the_key_owes_up_prints(self, tmp_path):
        system = LocalSystem(data_dir=tmp_path, external_bootstrap="kafka:9092")
        for service, role in [
            ("recruitment", "partner:recruitment"),
            ("advisory", "partner:advisory"),
            ("grants", "partner:grants"),
            ("reporting", "lead"),
        ]:
            auth = authenticator_of(system.service_env(service), service)
            principal = auth.authenticate(system.operator_headers(service)["Authorization"])
            assert principal.role == role == auth.operator

    def test_the_environment_holds_hashes_never_keys(self, tmp_path):
        system = LocalSystem(data_dir=tmp_path, external_bootstrap="kafka:9092")
        env = system.service_env("grants")
        assert not any(key in value for key in system.load_api_keys().values() for value in env.values())

    def test_start_up_text_says_how_to_authenticate(self, tmp_path):
        system = LocalSystem(data_dir=tmp_path)
        text = "\n".join(system.credentials_help())
        assert "Authorization: Bearer" in text
        assert all(key in text for key in system.load_api_keys().values())


class TestKeysNewCommand:
    def test_prints_a_key_and_the_entry_that_lets_it_in(self, capsys):
        assert main(["keys", "new", "--principal", "zory", "--role", "partner:advisory"]) == 0
        out = capsys.readouterr().out.splitlines()
        key = next(line.strip() for line in out if line.strip().startswith("owes_"))
        entry = next(line.strip() for line in out if line.strip().startswith("zory partner:advisory sha256:"))
        assert 'ADVISORY_API_KEYS="' in "\n".join(out)
        auth = Authenticator(service="advisory", credentials=[parse_credential(entry)])
        assert auth.authenticate(f"Bearer {key}").name == "zory"

    def test_refuses_an_unknown_role(self, capsys):
        assert main(["keys", "new", "--principal", "zory", "--role", "admin"]) == 2
        assert "invalid role" in capsys.readouterr().out
