from owes_service.auth import Authenticator, credential_line, generate_api_key
from recruitment.settings import RecruitmentSettings

LINE = credential_line("jastrzebie-zdroj", "partner:recruitment", generate_api_key())
OTHER = credential_line("lead", "lead", generate_api_key())


class TestApiKeysFromEnvironment:
    def test_entries_come_comma_separated_from_one_variable(self, monkeypatch):
        monkeypatch.setenv("RECRUITMENT_API_KEYS", f"{LINE}, {OTHER}")
        monkeypatch.setenv("RECRUITMENT_API_READERS", "lead")
        settings = RecruitmentSettings()
        assert settings.api_keys == [LINE, OTHER]
        assert settings.api_readers == ["lead"]

    def test_entries_come_from_a_docker_secret_named_like_the_variable(self, monkeypatch, tmp_path):
        (tmp_path / "recruitment_api_keys").write_text(f"{LINE}\n{OTHER}\n")
        monkeypatch.setenv("OWES_SECRETS_DIR", str(tmp_path))
        monkeypatch.delenv("RECRUITMENT_API_KEYS", raising=False)
        assert RecruitmentSettings().api_keys == [LINE, OTHER]

    def test_environment_wins_over_a_secret_file(self, monkeypatch, tmp_path):
        (tmp_path / "recruitment_api_keys").write_text(OTHER)
        monkeypatch.setenv("OWES_SECRETS_DIR", str(tmp_path))
        monkeypatch.setenv("RECRUITMENT_API_KEYS", LINE)
        assert RecruitmentSettings().api_keys == [LINE]

    def test_a_keys_file_adds_to_the_configured_entries(self, tmp_path):
        keys_file = tmp_path / "keys"
        keys_file.write_text(f"# partners\n{OTHER}\n")
        settings = RecruitmentSettings(api_keys=[LINE], api_keys_file=keys_file)
        auth = Authenticator.from_settings(service="recruitment", settings=settings)
        assert [c.principal.name for c in auth.credentials] == ["jastrzebie-zdroj", "lead"]


class TestKafkaPasswordFromFile:
    def test_sasl_password_is_read_from_the_named_file(self, monkeypatch, tmp_path):
        (tmp_path / "kafka_password").write_text("s3cret\n")
        monkeypatch.setenv("RECRUITMENT_KAFKA__SASL_PASSWORD_FILE", str(tmp_path / "kafka_password"))
        assert RecruitmentSettings().kafka.sasl_password.get_secret_value() == "s3cret"

    def test_a_password_in_the_environment_wins(self, monkeypatch, tmp_path):
        (tmp_path / "kafka_password").write_text("from-file")
        monkeypatch.setenv("RECRUITMENT_KAFKA__SASL_PASSWORD_FILE", str(tmp_path / "kafka_password"))
        monkeypatch.setenv("RECRUITMENT_KAFKA__SASL_PASSWORD", "from-env")
        assert RecruitmentSettings().kafka.sasl_password.get_secret_value() == "from-env"
