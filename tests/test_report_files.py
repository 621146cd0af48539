"""Every output format carries the line accounting; Excel has real date-time and
duration cells, one sheet per table plus the accounting."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pandas as pd
import pyarrow.parquet as pq
import pytest

from agentstats.cli import main
from agentstats.report.files import PARQUET_KEY, accounting_path, write_report

openpyxl = pytest.importorskip("openpyxl", reason="openpyxl (the test extra) is not installed")


def demo(tmp_path, name, *options):
    out = tmp_path / name
    assert main(["demo", *options, "-o", str(out), "-q"]) == 0
    return out


def test_excel_agent_report(tmp_path):
    out = demo(tmp_path, "report.xlsx", "--by", "agent", "--tz", "Europe/Rome")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["agents", "accounting"]
    ws = book["agents"]
    headers = [c.value for c in ws[1]]
    assert headers[:4] == ["agent", "state", "first_login (Europe/Rome)", "last_logoff (Europe/Rome)"]
    ana = next(row for row in ws.iter_rows(min_row=2, values_only=True) if row[0] == "Ana Silva")
    demo(tmp_path, "r.json", "--by", "agent")
    rows = json.loads((tmp_path / "r.json").read_text())["rows"]
    ana_json = next(r for r in rows if r["agent"] == "Ana Silva")
    # the demo's times are UTC; Rome is one hour ahead in March
    assert isinstance(ana[2], datetime)
    assert ana[2] == datetime.fromisoformat(ana_json["first_login"].rstrip("Z")) + timedelta(hours=1)
    logged_in = headers.index("logged_in")
    assert isinstance(ana[logged_in], timedelta)
    assert ana[logged_in] == timedelta(seconds=ana_json["logged_in"])
    assert ws.cell(row=2, column=logged_in + 1).number_format == "[h]:mm:ss"
    accounting = {(s, i): v for s, i, v in book["accounting"].iter_rows(min_row=2, values_only=True)}
    lines = json.loads((tmp_path / "r.json").read_text())["diagnostics"]["lines"]
    assert accounting[("lines", "read")] == lines["lines"]
    assert accounting[("lines", "used")] + sum(v for (s, _), v in accounting.items() if s == "lines not used") \
        == lines["lines"]


def test_csv_has_its_accounting_beside_it(tmp_path, capsys):
    out = demo(tmp_path, "q.csv", "--by", "queue")
    assert "line accounting in" in capsys.readouterr().out
    side = json.loads(accounting_path(out).read_text())
    lines = side["lines"]
    assert lines["used"] + sum(lines["counted"].values()) == lines["lines"]
    assert side["events"]["rows"] > 0


def test_parquet_has_the_accounting_in_its_metadata(tmp_path):
    out = demo(tmp_path, "a.parquet", "--by", "agent")
    metadata = pq.read_schema(out).metadata
    lines = json.loads(metadata[PARQUET_KEY])["lines"]
    assert lines["used"] + sum(lines["counted"].values()) == lines["lines"]
    assert len(pd.read_parquet(out)) == 19


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    target = tmp_path / "x.csv"
    target.write_text("old\n")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(OSError):
        write_report(pd.DataFrame({"a": [1]}), target, diagnostics={"lines": None, "events": {}})
    assert target.read_text() == "old\n"
    assert not accounting_path(target).exists()
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]


def test_unknown_suffix_is_refused(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path / "x.ods"), "-q"]) == 1
    assert ".xlsx" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["-o", "--html"])
def test_a_missing_optional_library_is_one_clear_line(tmp_path, monkeypatch, capsys, option):
    # A base install has neither openpyxl nor plotly: one line naming the extra, exit 1.
    import builtins

    from agentstats.cli import main
    from agentstats.demo import demo_log_path

    real_import = builtins.__import__

    def without_them(name, *args, **kwargs):
        if name.split(".")[0] in ("openpyxl", "plotly"):
            raise ModuleNotFoundError(f"No module named {name.split('.')[0]!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_them)
    out = tmp_path / ("r.xlsx" if option == "-o" else "r.html")
    with __import__("importlib.resources").resources.as_file(demo_log_path()) as log:
        code = main(["report", str(log), "--by", "agent", option, str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "pip install 'agentstats[" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


# -- every output format carries the line accounting ---------------------------------------

def _accounting_of(out):
    """{reason: count} of the lines not used, read back from a report file of any format."""
    suffix = out.suffix
    if suffix == ".csv":
        return json.loads(accounting_path(out).read_text())["lines"]["counted"]
    if suffix == ".parquet":
        return json.loads(pq.read_schema(out).metadata[PARQUET_KEY])["lines"]["counted"]
    if suffix == ".json":
        return json.loads(out.read_text())["diagnostics"]["lines"]["counted"]
    if suffix == ".xlsx":
        sheet = openpyxl.load_workbook(out)["accounting"]
        return {item: value for section, item, value in sheet.iter_rows(min_row=2, values_only=True)
                if section == "lines not used"}
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inside, self.rows = False, []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "table":
                self.inside = attrs.get("id") == "accounting"
            elif tag == "tr" and self.inside:
                self.rows.append([])
            elif tag == "td" and self.inside:
                self.rows[-1].append(attrs.get("data-sort"))

    parser = Rows()
    parser.feed(out.read_text(encoding="utf-8"))
    return {row[1]: int(float(row[2])) for row in parser.rows if row and row[0] == "lines not used"}


@pytest.mark.parametrize("name", ["r.csv", "r.parquet", "r.json", "r.xlsx", "r.html"])
def test_every_format_carries_the_line_accounting(tmp_path, name):
    if name.endswith(".html"):
        pytest.importorskip("plotly", reason="plotly (the html extra) is not installed")
        assert main(["demo", "--html", str(tmp_path / name)]) == 0
        out = tmp_path / name
    else:
        out = demo(tmp_path, name, "--by", "agent")
    expected = json.loads(demo(tmp_path, "expected.json", "--by", "session").read_text())["diagnostics"]["lines"]
    counted = _accounting_of(out)
    assert counted == expected["counted"]
    # the demo's dirt is there, by reason
    assert counted["duplicate_line"] == 2 and counted["unknown_verb:SURVEYSCORE"] == 1


@pytest.mark.parametrize("name", ["calls.csv", "calls.parquet", "calls.json"])
def test_the_per_call_file_carries_the_line_accounting(tmp_path, name):
    out = tmp_path / name
    assert main(["demo", "--by", "queue", "--calls", str(out), "-q"]) == 0
    expected = json.loads(demo(tmp_path, "expected.json", "--by", "queue").read_text())["diagnostics"]["lines"]
    assert _accounting_of(out) == expected["counted"]


def test_a_call_table_report_carries_its_row_count(tmp_path):
    calls = tmp_path / "export.csv"
    pd.DataFrame({"queue": ["sales", "sales"], "outcome": ["answered", "abandoned"],
                  "enter": ["2026-03-02T09:00:00", "2026-03-02T09:01:00"],
                  "leave": ["2026-03-02T09:00:30", "2026-03-02T09:01:10"]}).to_csv(calls, index=False)
    out = tmp_path / "q.xlsx"
    assert main(["report", str(calls), "--format", "calls", "--by", "queue", "-o", str(out), "-q"]) == 0
    sheet = openpyxl.load_workbook(out)["accounting"]
    rows = {(s, i): v for s, i, v in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[("call rows", "rows")] == rows[("call rows", "used")] == 2


def test_the_per_call_file_in_local_time(tmp_path):
    out = tmp_path / "calls.csv"
    assert main(["demo", "--by", "queue", "--tz", "Europe/Rome", "--calls", str(out), "-q"]) == 0
    utc = tmp_path / "utc.csv"
    assert main(["demo", "--by", "queue", "--calls", str(utc), "-q"]) == 0
    local, plain = pd.read_csv(out), pd.read_csv(utc)
    assert local["enter"].str.endswith("+01:00").all()          # Rome in March
    assert (pd.to_datetime(local["enter"], utc=True) == pd.to_datetime(plain["enter"], utc=True)).all()


def test_calls_with_the_agent_view_is_a_usage_error(tmp_path, capsys):
    # the agent view does not follow the callers: refused, never silently ignored
    assert main(["demo", "--calls", str(tmp_path / "c.csv")]) == 2
    assert "--by session or --by queue" in capsys.readouterr().err
    assert not (tmp_path / "c.csv").exists()
