"""dev/run, dev/settings and the dev.token CLI: the settings file, port checks, the whole stack."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from dev import run, settings, signin, token, tokens
from dev.cognito import DEMO_PASSWORD
from dev.dynamodb_local import ROOT, free_port
from tests.conftest import TEST_ENV


@pytest.fixture
def clean_dev_env(monkeypatch):
    """The dev settings' variables unset, and put back as they were after the test."""
    for key in settings.default_settings():
        monkeypatch.setenv(key, "placeholder")  # records the value to restore
        monkeypatch.delenv(key)


def test_settings_file_is_written_once_and_keeps_its_key(tmp_path):
    path = settings.ensure_settings_file(tmp_path)
    first = settings.read_settings_file(path)
    assert len(first["DEV_JWT_SECRET"]) >= settings.MIN_SECRET_LENGTH
    assert first["TABLE_NAME"] == "fleetbridge-dev"
    assert first["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:8000"
    assert (first["SMTP_HOST"], first["SMTP_PORT"], first["MAILER"]) == ("127.0.0.1", "1025", "smtp")
    assert path.stat().st_mode & 0o077 == 0
    assert settings.read_settings_file(settings.ensure_settings_file(tmp_path)) == first


def test_settings_file_syntax(tmp_path):
    path = tmp_path / "s.env"
    path.write_text("# comment\n\nexport A=1\nB = 'two words'\nC=\"x=y\"\n")
    assert settings.read_settings_file(path) == {"A": "1", "B": "two words", "C": "x=y"}
    path.write_text("oops\n")
    with pytest.raises(ValueError, match=r"s\.env:1: expected KEY=VALUE"):
        settings.read_settings_file(path)


def test_loading_keeps_what_the_shell_set(tmp_path, clean_dev_env, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "from-the-shell")
    settings.load_dev_environment(tmp_path)
    assert os.environ["TABLE_NAME"] == "from-the-shell"
    assert os.environ["MAILER"] == "smtp"
    assert os.environ["DEV_JWT_SECRET"] == settings.read_settings_file(tmp_path / "settings.env")["DEV_JWT_SECRET"]


def test_token_cli_mints_with_the_settings_file_key(tmp_path, clean_dev_env, capsys):
    assert token.main(["--sub", "usr_9", "--org", "org_9", "--role", "vendor", "--dev-dir", str(tmp_path)]) == 0
    claims = tokens.verify(capsys.readouterr().out.strip())
    assert (claims["sub"], claims["custom:org_id"], claims["custom:role"]) == ("usr_9", "org_9", "vendor")


def test_token_cli_wants_org_and_role_together(tmp_path, clean_dev_env):
    with pytest.raises(SystemExit):
        token.main(["--sub", "usr_9", "--org", "org_9", "--dev-dir", str(tmp_path)])


def test_port_taken():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert run.port_taken(listener.getsockname()[1])
    assert not run.port_taken(free_port())


def test_banner_lists_users_with_passwords_id_tokens_and_examples(tmp_path):
    users = [SimpleNamespace(user_id="usr_1", org_id="org_1", role="customer_admin", email="a@fleet.test",
                             org_name="Acme Fleet")]
    text = run._banner(3000, tmp_path, users, {"a@fleet.test": "id.token.of-a"})
    line = next(ln for ln in text.splitlines() if ln.strip().endswith("id.token.of-a"))
    role, org1, org2, email, _ = line.split()
    assert (role, f"{org1} {org2}", email) == ("customer_admin", "Acme Fleet", "a@fleet.test")
    assert f"the password {DEMO_PASSWORD}" in text
    assert f"-m dev.signin --dev-dir {tmp_path} --email a@fleet.test --password '{DEMO_PASSWORD}'" in text
    assert 'curl -H "Authorization: Bearer $TOKEN" localhost:3000/assets' in text


# -- `python -m dev.run` as a developer runs it --

def dev_run(tmp_path: Path, *, http_port: int, dynamodb_port: int, cognito_port: int = 0) -> subprocess.Popen[str]:
    cognito_port = cognito_port or free_port()
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "PYTHONUNBUFFERED": "1",
           "AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{dynamodb_port}", "SMTP_PORT": str(free_port()),
           "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": f"http://127.0.0.1:{cognito_port}",
           "POWERTOOLS_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-m", "dev.run", "--port", str(http_port), "--dev-dir", str(tmp_path)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def test_taken_port_is_refused_with_a_message(tmp_path, dynamodb):
    taken = int(TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"].rsplit(":", 1)[1])  # the tests' DynamoDB Local
    proc = dev_run(tmp_path, http_port=free_port(), dynamodb_port=taken)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert f"port {taken} is taken, and DynamoDB Local needs it" in out


def test_whole_stack_serves_and_one_ctrl_c_stops_it(tmp_path, monkeypatch, capsys, clean_dev_env):
    http_port, dynamodb_port, cognito_port = free_port(), free_port(), free_port()
    proc = dev_run(tmp_path, http_port=http_port, dynamodb_port=dynamodb_port, cognito_port=cognito_port)
    output: list[str] = []
    up = threading.Event()

    def read() -> None:
        for line in proc.stdout or ():
            output.append(line)
            if "dev stack is up" in line:
                up.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert up.wait(90), "".join(output)
        secret = settings.read_settings_file(tmp_path / "settings.env")["DEV_JWT_SECRET"]
        tok = tokens.mint("usr_1", org_id="org_1", role="customer_admin", secret=secret)
        r = httpx.get(f"http://127.0.0.1:{http_port}/audit", headers={"Authorization": f"Bearer {tok}"},
                      timeout=30)
        assert r.status_code == 200, r.text
        assert httpx.get(f"http://127.0.0.1:{http_port}/audit").status_code == 401
        # a demo user signs in to the stack's Cognito (python -m dev.signin), and its ID token works
        monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", f"http://127.0.0.1:{cognito_port}")
        assert signin.main(["--email", "admin@harborfreight.example", "--password", DEMO_PASSWORD,
                            "--dev-dir", str(tmp_path)]) == 0, capsys.readouterr().err
        id_token = capsys.readouterr().out.strip()
        me = httpx.get(f"http://127.0.0.1:{http_port}/me", headers={"Authorization": f"Bearer {id_token}"}, timeout=30)
        assert me.status_code == 200 and me.json()["user"]["role"] == "customer_admin", me.text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        reader.join(5)
    assert proc.returncode == 0, "".join(output)
    assert "stopped." in "".join(output)
    deadline = time.monotonic() + 10  # DynamoDB Local (Java, in its own session) is gone too
    while run.port_taken(dynamodb_port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not run.port_taken(dynamodb_port)
