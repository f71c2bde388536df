"""Configuration has one door: the environment is read by tpn_metrics/settings.py only and set
by tpn_metrics/tool_environment.py only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tpn_metrics.settings import PROJECT_ROOT, ConfigurationError, Settings, SmtpSettings

READER = Path("tpn_metrics/settings.py")
SETTER = Path("tpn_metrics/tool_environment.py")


def _environment_uses(path: Path) -> list[int]:
    """Lines of ``path`` that touch os.environ, os.getenv, os.putenv or os.unsetenv."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {
            "environ",
            "getenv",
            "putenv",
            "unsetenv",
        }:
            lines.append(node.lineno)
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(a.name in {"environ", "getenv", "putenv"} for a in node.names)
        ):
            lines.append(node.lineno)
    return lines


def test_only_the_settings_module_reads_and_only_tool_environment_sets_variables() -> None:
    offenders = []
    for folder in ("tpn_metrics", "flows"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT)
            if relative in {READER, SETTER}:
                continue
            offenders += [f"{relative}:{line}" for line in _environment_uses(path)]
    assert offenders == []


def test_the_setter_never_reads_our_variables() -> None:
    """tool_environment sets variables for other tools; it reads no TPN_* setting."""
    text = (PROJECT_ROOT / SETTER).read_text(encoding="utf-8")
    assert '.get("TPN_' not in text and '["TPN_' not in text.replace('os.environ["TPN_GX', "")


def test_every_variable_is_read_from_the_mapping_given() -> None:
    environ = {
        "TPN_HOME": "/srv/tpn",
        "TPN_RECIPIENTS": "/etc/tpn/recipients.yaml",
        "TPN_DROP_FOLDER": "/srv/drop/rssb",
        "TPN_MOH_DROP_FOLDER": "/srv/drop/moh",
        "TPN_RSSB_DEADLINE": "saturday 09:00",
        "TPN_PSEUDONYM_SALT": "s" * 20,
        "TPN_PUBLISH_URL": "postgresql://publisher@db/tpn",
        "TPN_DBT_LOG_LEVEL": "info",
        "TPN_DBT_THREADS": "1",
        "TPN_SMTP_HOST": "smtp.example.org",
        "TPN_SMTP_SECURITY": "ssl",
    }
    settings = Settings.from_environment(environ)
    assert settings.home == Path("/srv/tpn")
    assert settings.warehouse_path == Path("/srv/tpn/warehouse/tpn.duckdb")
    assert settings.recipients_file == Path("/etc/tpn/recipients.yaml")
    assert settings.rssb_drop_folder == Path("/srv/drop/rssb")
    assert settings.moh_drop_folder == Path("/srv/drop/moh")
    assert settings.rssb_deadline == "saturday 09:00"
    assert settings.pseudonym_salt == "s" * 20
    assert settings.publish_url == "postgresql://publisher@db/tpn"
    assert settings.dbt_log_level == "info"
    assert settings.dbt_threads == 1
    assert settings.smtp == SmtpSettings(host="smtp.example.org", port=465, security="ssl")
    # secrets stay out of repr (a Settings object is logged by Prefect's parameters view)
    assert "s" * 20 not in repr(settings) and "publisher@db" not in repr(settings)


def test_unset_and_blank_variables_mean_the_defaults() -> None:
    settings = Settings.from_environment({"TPN_DROP_FOLDER": "  ", "TPN_HOME": ""})
    assert settings.home == PROJECT_ROOT
    assert settings.rssb_drop_folder is None
    assert settings.smtp is None
    assert settings.dbt_log_level == "warn"
    assert settings.dbt_threads is None
    assert settings.recipients_file == PROJECT_ROOT / "tpn_metrics/emails/recipients.yaml"


def test_settings_read_os_environ_when_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TPN_PUBLISH_URL", "postgresql://a@b/c")
    assert Settings().publish_url == "postgresql://a@b/c"
    monkeypatch.delenv("TPN_PUBLISH_URL")
    assert Settings().publish_url is None


def test_an_unusable_smtp_setting_is_a_configuration_error() -> None:
    settings = Settings.from_environment({"TPN_SMTP_HOST": "relay", "TPN_SMTP_SECURITY": "tls1.0"})
    with pytest.raises(ConfigurationError, match="TPN_SMTP_SECURITY must be one of"):
        _ = settings.smtp


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TPN_SMTP_PORT", "abc", "TPN_SMTP_PORT='abc' is not a port number"),
        ("TPN_SMTP_PORT", "25.5", "is not a port number"),
        ("TPN_SMTP_TIMEOUT", "-3", "TPN_SMTP_TIMEOUT='-3' is not a number of seconds"),
    ],
)
def test_a_wrong_smtp_number_stops_only_what_sends_mail(
    variable: str, value: str, message: str
) -> None:
    """Building Settings (every command does) never fails on SMTP; sending does, in one line."""
    settings = Settings.from_environment({"TPN_SMTP_HOST": "relay", variable: value})
    assert settings.warehouse_path.name == "tpn.duckdb"
    with pytest.raises(ConfigurationError, match=message):
        _ = settings.smtp


def test_settings_are_hashable_and_keep_secrets_out_of_repr() -> None:
    settings = Settings.from_environment({"TPN_SMTP_HOST": "h", "TPN_SMTP_PASSWORD": "pw-123456"})
    assert hash(settings) == hash(Settings.from_environment(dict(settings.smtp_environment)))
    assert "pw-123456" not in repr(settings)


def test_options_never_read_the_environment_behind_settings() -> None:
    """A typer/click option with ``envvar=`` would read the environment past Settings."""
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in sorted((PROJECT_ROOT / "tpn_metrics").rglob("*.py"))
        if "envvar=" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_dbt_threads_must_be_a_whole_positive_number(value: str) -> None:
    with pytest.raises(ConfigurationError, match=f"TPN_DBT_THREADS='{re.escape(value)}'"):
        Settings.from_environment({"TPN_DBT_THREADS": value})
