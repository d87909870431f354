from config.env import env, envbool, envint, envlist


def test_empty_variables_count_as_unset(monkeypatch):
    monkeypatch.setenv("IHOSPITAL_T", "")
    assert env("IHOSPITAL_T", "default") == "default"
    assert envbool("IHOSPITAL_T", True) is True
    assert envint("IHOSPITAL_T", 7) == 7


def test_secrets_can_come_from_files(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    monkeypatch.setenv("IHOSPITAL_T", "from-env")
    monkeypatch.setenv("IHOSPITAL_T_FILE", str(secret))
    assert env("IHOSPITAL_T") == "from-file"


def test_typed_readers(monkeypatch):
    monkeypatch.setenv("IHOSPITAL_B", "yes")
    monkeypatch.setenv("IHOSPITAL_L", "a, b,,c")
    assert envbool("IHOSPITAL_B", False) is True
    assert envlist("IHOSPITAL_L", "") == ["a", "b", "c"]
