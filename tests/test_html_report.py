"""The HTML report in a real headless browser: Debian's Chromium driven by Playwright
(no browser download). The page must load without console errors, every chart must
render the marks its data has, the tables must sort, and a screenshot is saved.

The test skips, saying why, only when no browser is installed; CI sets
AGENTSTATS_REQUIRE_BROWSER=1, and then a missing browser fails the test."""

from __future__ import annotations

import os
import shutil
from importlib.resources import as_file
from pathlib import Path

import pytest

from agentstats.cli import main

REQUIRED = os.environ.get("AGENTSTATS_REQUIRE_BROWSER") == "1"


def _browser() -> str:
    path = os.environ.get("AGENTSTATS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    problem = None
    if path is None:
        problem = "no Chromium installed (apt-get install chromium, or set AGENTSTATS_CHROMIUM)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "Playwright is not installed (pip install playwright)"
    if problem:
        if REQUIRED:
            pytest.fail(problem)
        pytest.skip(problem)
    return str(path)


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory):
    pytest.importorskip("plotly", reason="plotly (the html extra) is not installed")
    out = tmp_path_factory.mktemp("html") / "demo.html"
    assert main(["demo", "--html", str(out), "--tz", "Europe/Rome"]) == 0
    return out


def expected_marks():
    """The marks each chart must draw, from the numbers themselves."""
    from agentstats.demo import DEMO_WRAPUP, demo_log_path
    from agentstats.io.queue_log import import_queue_log
    from agentstats.io.queue_log_agents import queue_log_agent_stats
    from agentstats.report.html import _timeline_frame

    with as_file(demo_log_path()) as log:
        options = dict(wrapup=DEMO_WRAPUP, infer=True)
        agents = queue_log_agent_stats(log, interval=60, tz="Europe/Rome", sessions=False, **options)
        minutes = queue_log_agent_stats(log, interval=1, tz="Europe/Rome", sessions=False, **options)
        queues = import_queue_log(log, **options).queue_stats(interval=60, tz="Europe/Rome").to_pandas()
    hours = agents.intervals()["interval_start"].nunique()
    reasons = agents.reasons()
    return {
        "timeline": (4, len(_timeline_frame(minutes))),
        "staffed": (4, 4 * hours),
        "calls": (3, 3 * queues["interval_start"].nunique()),
        # no mark where no call was queued (a refused caller only): the level is undefined
        "service_level": (queues["queue"].nunique(), int(queues["service_level_20s"].notna().sum())),
        "reasons": (reasons["reason"].nunique(), len(reasons)),
    }


def test_the_demo_report_in_headless_chromium(demo_page, tmp_path):
    executable = _browser()
    from playwright.sync_api import sync_playwright

    expected = expected_marks()
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            # offline: any request that leaves the file fails the test
            page.route("http*://**", lambda route: (errors.append(f"network: {route.request.url}"), route.abort()))
            page.goto(demo_page.as_uri())
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5")
            marks = page.evaluate("""ids => Object.fromEntries(ids.map(id => {
                const el = document.getElementById(id);
                const points = el.querySelectorAll('g.point, path.point').length;
                return [id, [el.data.length, points]];
            }))""", list(expected))
            first = page.evaluate("() => document.querySelector('#agents tbody tr td').textContent")
            page.click("#agents th:nth-child(5)")          # logged_in, ascending
            page.click("#agents th:nth-child(5)")          # descending
            top = page.evaluate("() => Array.from(document.querySelectorAll('#agents tbody tr')).slice(0, 2)"
                                ".map(r => r.cells[4].getAttribute('data-sort'))")
            shot = tmp_path / "demo_report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert marks == {k: list(v) for k, v in expected.items()}
    assert first == "Ana Silva"
    assert int(top[0]) >= int(top[1])
    assert shot.stat().st_size > 50_000


def test_the_page_is_self_contained(demo_page):
    text = demo_page.read_text(encoding="utf-8")
    assert "<script src" not in text and "<link" not in text
    assert 'src="http' not in text
    assert text.count('class="sortable"') == 3      # agents, queues, accounting
    assert "Line accounting" in text and "inferred alias" in text


def test_html_needs_a_queue_log(tmp_path, capsys):
    events = Path(__file__).parent / "data" / "events.csv"
    assert main(["report", str(events), "--html", str(tmp_path / "x.html")]) == 1
    assert "--html needs a queue_log input" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


def _first_cells(page, table_id):
    import re

    body = re.search(f'id="{table_id}">(.*?)</table>', page.read_text(encoding="utf-8")).group(1)
    return [dict(zip(re.findall(r"<th>([^<]*)</th>", body), re.findall(r'data-sort="([^"]*)"', row)))
            for row in re.findall(r"<tr>(<td.*?)</tr>", body)]


def test_the_page_of_a_window_and_of_some_agents(tmp_path):
    # SPEC 7.2: the window's agent time in the page is the --by agent window's
    pytest.importorskip("plotly", reason="plotly (the html extra) is not installed")
    import json

    window = ["--from", "2026-03-02T12:00", "--until", "2026-03-02T14:00"]
    page = tmp_path / "w.html"
    assert main(["demo", "--html", str(page), *window, "--agent", "A*", "--agent", "B*"]) == 0
    agents = _first_cells(page, "agents")
    assert [row["agent"] for row in agents] == ["Ana Silva", "Bruno Okafor"]
    assert "From 2026-03-02 12:00:00 to 2026-03-02 14:00:00. Times in UTC." in page.read_text(encoding="utf-8")
    out = tmp_path / "a.json"
    assert main(["demo", "--by", "agent", *window, "--agent", "Ana*", "-o", str(out), "-q"]) == 0
    (ana,) = json.loads(out.read_text())["rows"]
    assert int(agents[0]["logged_in"]) == ana["logged_in"] == 7200
    assert (int(agents[0]["talk"]), int(agents[0]["calls"])) == (ana["talk"], ana["calls"])
    assert agents[0]["missed"] == ""           # counted per log, not per window: shown as -
    assert len(_first_cells(page, "queues")) == 3


def test_the_page_of_one_queue(tmp_path):
    pytest.importorskip("plotly", reason="plotly (the html extra) is not installed")
    page = tmp_path / "q.html"
    assert main(["demo", "--html", str(page), "--queue", "billing"]) == 0
    assert [row["queue"] for row in _first_cells(page, "queues")] == ["billing"]
    # the agents who were members of billing, not all 19
    assert 0 < len(_first_cells(page, "agents")) < 19
