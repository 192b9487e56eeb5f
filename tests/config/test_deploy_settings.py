"""Production settings: the shipped example passes Django's deploy checks, TLS settings come from the
environment, and no secret has a default once DEBUG is off.

Each case starts a fresh Python process, because settings are read from the environment once, at import.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from config.security import SECRET_SETTINGS

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "deploy" / "production.env.example"

pytestmark = [pytest.mark.embedded]


def production_env() -> dict[str, str]:
    """The example file as systemd's EnvironmentFile (and django-environ) would read it."""
    values: dict[str, str] = {}
    for line in EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip().strip('"')
    return values


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``code`` in a new interpreter with only ``env`` (plus PATH) as its environment, in the repository."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "ALLOWED_HOSTS": "testserver",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def fresh_secret_key() -> str:
    return secrets.token_urlsafe(50)


def test_check_deploy_is_clean_with_the_shipped_production_env() -> None:
    env = {**production_env(), "SECRET_KEY": fresh_secret_key()}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_what_is_missing_without_it() -> None:
    """The warnings the example file answers: without them a plain DEBUG-off install is not ready."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env={"PATH": os.environ["PATH"], "SECRET_KEY": fresh_secret_key()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    for check in ("W004", "W008", "W012", "W016"):
        assert f"security.{check}" in result.stderr


def test_the_example_holds_no_secret_and_every_setting_is_in_the_readme() -> None:
    example = production_env()
    readme = (REPO / "README.md").read_text()
    for name in SECRET_SETTINGS:
        if name in example:
            assert example[name] == "", f"{name} must be left empty in the example"
    for name in ("SECRET_KEY", "TELEGRAM_BOT_TOKEN", "VK_GROUP_TOKEN", "EMAIL_HOST_PASSWORD"):
        assert name in example
    assert ":" not in example["DATABASE_URL"].split("@")[0].removeprefix("postgres://"), "no password in the URL"
    undocumented = [name for name in example if f"`{name}`" not in readme]
    assert undocumented == []


@pytest.mark.parametrize("key", ["", "insecure-debug-only-key", "django-insecure-abc123"])
def test_without_debug_a_missing_or_published_secret_key_refuses_to_start(key: str) -> None:
    result = run_python("import django; django.setup()", {"SECRET_KEY": key, "DEBUG": "off"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_debug_alone_may_run_on_the_built_in_key() -> None:
    result = run_python(
        "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)",
        {"SECRET_KEY": "", "DEBUG": "on"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "insecure-debug-only-key"


def _headers_of(env: dict[str, str], *, secure: bool, path: str = "/workspace/login/") -> dict[str, object]:
    code = f"""
import django, json
django.setup()
from django.test import Client
response = Client().get({path!r}, secure={secure})
print(json.dumps({{"status": response.status_code, "location": response.get("Location", ""),
    "hsts": response.get("Strict-Transport-Security", ""), "cookies": {{
    name: bool(morsel["secure"]) for name, morsel in response.cookies.items()}}}}))
"""
    result = run_python(code, {"SECRET_KEY": fresh_secret_key(), **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_ssl_redirect_and_hsts_are_set_from_the_environment() -> None:
    env = {"SECURE_SSL_REDIRECT": "on", "SECURE_HSTS_SECONDS": "31536000", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "on"}
    plain = _headers_of(env, secure=False)
    assert plain["status"] == 301
    assert str(plain["location"]).startswith("https://")
    over_tls = _headers_of(env, secure=True)
    assert over_tls["status"] == 200
    assert over_tls["hsts"] == "max-age=31536000; includeSubDomains"


def test_health_checks_are_answered_over_plain_http_even_with_the_redirect() -> None:
    assert _headers_of({"SECURE_SSL_REDIRECT": "on"}, secure=False, path="/healthz")["status"] == 200


def test_secure_cookies_mark_the_session_and_csrf_cookies_secure() -> None:
    cookies = _headers_of({"SECURE_COOKIES": "on"}, secure=True)["cookies"]
    assert cookies == {"csrftoken": True}
    assert _headers_of({}, secure=True)["cookies"] == {"csrftoken": False}


def test_behind_the_tls_proxy_its_forwarded_scheme_is_trusted() -> None:
    code = """
import django, json
django.setup()
from django.test import Client
response = Client().get("/workspace/login/", headers={"X-Forwarded-Proto": "https"})
print(response.status_code)
"""
    env = {"SECRET_KEY": fresh_secret_key(), "SECURE_SSL_REDIRECT": "on", "SECURE_PROXY_SSL_HEADER": "on"}
    result = run_python(code, env)
    assert result.stdout.strip() == "200", result.stderr


def test_the_readme_documents_every_security_setting() -> None:
    readme = (REPO / "README.md").read_text()
    settings_source = (REPO / "config/settings.py").read_text()
    names = re.findall(r'env\.\w+\("((?:SECURE|CSP|WIDGET_ALLOWED|SILENCED)[A-Z_]*)"', settings_source)
    assert names
    assert [name for name in names if f"`{name}`" not in readme] == []
