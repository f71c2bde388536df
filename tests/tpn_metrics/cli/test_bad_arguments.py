"""Every command answers a wrong argument with exit 2 and a line saying what is accepted.

The commands are read from the typer app itself, so a command added without an entry in
BAD_ARGUMENTS fails `test_every_command_has_bad_arguments`. The home is empty (no warehouse),
which is itself one of the wrong situations a new user meets.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from tpn_metrics.cli import app

runner = CliRunner()

# command path -> (arguments after the path, a fragment the answer must contain)
BAD_ARGUMENTS: dict[str, list[tuple[list[str], str]]] = {
    "sample": [
        (["--seed", "abc"], "seed"),
        (["--seed", "-1"], "seed"),
        (["--out", "{home}/a-file"], "is a file"),
    ],
    "ingest": [
        ([], "give files or folders"),
        (["{home}/nope.csv"], "no such file"),
        (["--replay", "zzzz"], "no warehouse"),
    ],
    "ingest-payments": [(["{home}/nope.csv"], "no such file"), ([], "PATH")],
    "ledger": [(["extra"], "unexpected extra argument")],
    "quarantine": [(["--bogus"], "no such option")],
    "quarantine dismiss": [
        (["abc"], "--reason"),
        (["abc", "--reason", "sent twice"], "no warehouse"),
    ],
    "build": [(["--full-refresh", "yes"], "unexpected extra argument")],
    "docs": [(["extra"], "unexpected extra argument")],
    "evaluate": [
        (["--topic", "nope"], "use one of"),
        (["--from", "2021"], "need --topic"),
        (["--resamples", "0"], "resamples"),
        (["--resamples", "many"], "resamples"),
        (["--topic", "accreditation", "--from", "2023", "--to", "2021"], "no warehouse"),
        (["--resamples", "10"], "no warehouse"),
    ],
    "population": [
        ([], "--date"),
        (["--date", "notadate"], "date"),
        (["--date", "2023-03-24", "--share", "1.5"], "share"),
        (["--date", "2023-03-24", "--share", "-0.1"], "share"),
        (["--date", "2023-03-24", "--control-total", "-5"], "control-total"),
        (["--date", "2023-03-24", "--control-total", "0"], "control-total"),
        (["--date", "2023-03-24", "--method", "cubic"], "geometric"),
        (["--date", "0001-01-01", "--method", "linear"], "2002-08-15 to 2032-08-15"),
        (["--date", "9999-01-01"], "2002-08-15 to 2032-08-15"),
    ],
    "dq": [
        (["--week", "notadate"], "week"),
        (["--district", "Kigali"], "province"),
        (["--district", "Nowhere"], "closest known"),
        ([], "no warehouse"),
    ],
    "emails send": [
        (["--dry-run", "--week", "notadate"], "week"),
        (["--dry-run"], "no warehouse"),
        ([], "TPN_SMTP_HOST"),
    ],
    "emails preview": [
        (["Kigali"], "province"),
        (["Nowhere"], "closest known"),
        (["Gasabo", "--week", "notadate"], "week"),
        (["Gasabo"], "no warehouse"),
        ([], "DISTRICT"),
    ],
    "demo": [(["--seed", "abc"], "seed"), (["--seed", "-1"], "seed")],
    "run weekly": [
        (["--drop-folder", "{home}/nope"], "no such file"),
        (["--drop-folder", "{home}", "--date", "notadate"], "date"),
        (["--drop-folder", "{home}", "--resamples", "0"], "resamples"),
    ],
    "run accreditation": [
        (["--drop-folder", "{home}/nope"], "no such file"),
        (["--drop-folder", "{home}", "--resamples", "-3"], "resamples"),
    ],
    "run dhis2": [
        (["--drop-folder", "{home}/nope"], "no such file"),
        (["--drop-folder", "{home}", "--resamples", "0"], "resamples"),
    ],
    "status": [(["--strict", "yes"], "unexpected extra argument")],
    "backfill": [
        (["{home}/nope"], "no such folder"),
        (["{home}", "--resamples", "0"], "resamples"),
    ],
    "publish": [
        ([], "--url"),
        (["--url", "not a url"], "not a database URL"),
        (["--url", "nosuchdb://host/db"], "unknown database type"),
        (["--url", "sqlite:///{home}/x.db"], "no warehouse"),
    ],
    "export": [
        (["marts.fct_cbhi_weekly", "{home}/out.json"], ".csv or .xlsx"),
        (["marts.fct_cbhi_weekly", "{home}/out.csv"], "no warehouse"),
        (["marts.fct_cbhi_weekly"], "PATH"),
    ],
    "twinning recommend": [
        (["--capacity", "0"], "capacity"),
        (["--topic", "nope"], "nope"),
        (["--topics-file", "{home}/nope.yaml"], "nope.yaml"),
        ([], "tpn build"),
    ],
}


def registered_commands() -> set[str]:
    """Every runnable command path of the app ("emails preview"), groups with a callback too."""
    found: set[str] = set()

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):  # a group (typer vendors its own click)
            if path and command.invoke_without_command:
                found.add(" ".join(path))
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
        else:
            found.add(" ".join(path))

    walk(typer.main.get_command(app), ())
    return found


def test_every_command_has_bad_arguments():
    commands = registered_commands()
    assert "emails preview" in commands and "twinning recommend" in commands
    assert commands == set(BAD_ARGUMENTS), (
        f"commands without bad-argument cases: {sorted(commands - set(BAD_ARGUMENTS))}; "
        f"cases for no command: {sorted(set(BAD_ARGUMENTS) - commands)}"
    )
    assert all(BAD_ARGUMENTS.values()), "every command needs at least one wrong argument"


CASES = [
    pytest.param(command, arguments, expected, id=f"{command} {' '.join(arguments)}".strip())
    for command, cases in BAD_ARGUMENTS.items()
    for arguments, expected in cases
]


@pytest.mark.parametrize(("command", "arguments", "expected"), CASES)
def test_bad_argument_exits_2_with_one_clear_line(
    command: str,
    arguments: list[str],
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("TPN_HOME", str(tmp_path))
    for variable in ("TPN_SMTP_HOST", "TPN_PUBLISH_URL", "TPN_DROP_FOLDER", "TPN_MOH_DROP_FOLDER"):
        monkeypatch.delenv(variable, raising=False)
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    argv = [*command.split(), *(a.replace("{home}", str(tmp_path)) for a in arguments)]
    result = runner.invoke(app, argv)
    output = result.output
    assert "Traceback" not in output
    assert result.exit_code == 2, (result.exception, output)
    assert isinstance(result.exception, SystemExit)
    unwrapped = " ".join(output.replace("│", " ").split())  # typer's panel wraps long lines
    assert expected.lower() in unwrapped.lower(), output
    if "Usage:" not in output:  # our own answers: one line, not a wrapped paragraph
        assert len(output.strip().splitlines()) == 1, output


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["emails", "preview", "Kigali"],
            "Error: Invalid value for 'DISTRICT': 'Kigali' is a province, not a district: "
            "use one of Gasabo, Kicukiro, Nyarugenge",
        ),
        (
            ["population", "--date", "2023-03-24", "--share", "1.5"],
            "Error: Invalid value for '--share': 1.5 is not a share: use 0 ≤ share < 1, e.g. 0.10",
        ),
        (["emails", "preview", "Gasabo"], "error: no warehouse at "),
    ],
)
def test_the_tpn_entry_point_puts_the_whole_message_on_one_line(
    argv: list[str], message: str, tmp_path: Path
):
    """Through `main()`, as an operator runs it: click's plain usage error, whose `Error:` line
    holds the whole message (typer's rich panel would wrap it over several lines)."""
    result = subprocess.run(
        [sys.executable, "-c", "from tpn_metrics.cli import main; main()", *argv],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "TPN_HOME": str(tmp_path), "HOME": str(tmp_path)},
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.lower().startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
