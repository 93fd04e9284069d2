"""`kiosk audit`: the audit log read with filters, as text or JSON."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from kiosk import cli, desk
from tests.helpers import FIXED_NOW, issue


@pytest.fixture
def config(settings, tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[database]\npath = "{settings.database_path}"\n')
    return path


def audit(capsys, config, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["--config", str(config), "audit", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_audit_log_with_filters(settings, head, clerk, config, capsys):
    first = issue(settings).ticket_no
    second = issue(settings).ticket_no
    desk.dispatch(settings, head, first, "police", now=FIXED_NOW)
    later = FIXED_NOW + timedelta(hours=2)
    desk.dispatch(settings, clerk, second, "fire", now=later)
    code, out, _ = audit(capsys, config, "--json")
    rows = json.loads(out)
    assert code == 0 and {"login", "dispatched"} <= {r["action"] for r in rows}
    code, out, _ = audit(
        capsys, config, "--user", "li", "--action", "dispatched", "--json"
    )
    rows = json.loads(out)
    assert [(r["actor"], r["target"]) for r in rows] == [("staff:li", second)]
    assert rows[0]["detail"]["unit"] == "fire"
    code, out, _ = audit(capsys, config, "--ticket", first, "--json")
    assert [r["action"] for r in json.loads(out)] == ["dispatched"]
    since = (FIXED_NOW + timedelta(hours=1)).isoformat()
    code, out, _ = audit(capsys, config, "--since", since, "--json")
    assert [r["target"] for r in json.loads(out)] == [second]
    code, out, _ = audit(capsys, config, "--until", since, "--action", "dispatched")
    assert first in out and second not in out
    with pytest.raises(SystemExit) as refused:  # argparse's usage error
        audit(capsys, config, "--since", "yesterday")
    assert refused.value.code == 2 and "--since" in capsys.readouterr().err
