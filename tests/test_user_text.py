"""User-facing text defines things in the project's own words: README, docs/, every
command's --help, the definitions page shipped in the package, and the docstrings of
agentstats' public modules, classes and functions never point to the behaviour
contract's file ("SPEC"), to issues or to a shared folder. The definitions behind
`agentstats explain` are installed with the package."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import agentstats
from agentstats.cli import build_parser, main
from agentstats.report.explain import definitions_text, entries, explain

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = re.compile(r"\bSPEC\b|shared folder|/shared/|\bissue \d+|\bissues?\b", re.I)


def _offences(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if FORBIDDEN.search(line)]


def _user_pages() -> list[Path]:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    return [p for p in pages if p.is_file()]


@pytest.mark.parametrize("page", _user_pages(), ids=lambda p: p.name)
def test_docs_pages_do_not_cite_the_contract(page):
    assert _offences(page.read_text(encoding="utf-8")) == []


def _help_texts() -> dict[str, str]:
    parser = build_parser()
    texts = {"agentstats": parser.format_help()}
    for action in parser._actions:
        for name, sub in getattr(action, "choices", None).items() if hasattr(action, "choices") \
                and isinstance(action.choices, dict) else []:
            texts[name] = sub.format_help()
    return texts


def test_every_help_is_clean():
    texts = _help_texts()
    assert {"agentstats", "report", "demo", "explain"} <= set(texts)
    for name, text in texts.items():
        assert _offences(text) == [], name


def _public_objects():
    seen = set()
    modules = [agentstats]
    for info in pkgutil.walk_packages(agentstats.__path__, "agentstats."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        modules.append(importlib.import_module(info.name))
    for module in modules:
        yield module.__name__, module
        for name in getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")]):
            obj = getattr(module, name, None)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or id(obj) in seen:
                continue
            if not getattr(obj, "__module__", "").startswith("agentstats"):
                continue
            seen.add(id(obj))
            yield f"{module.__name__}.{name}", obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") and attr != "__init__":
                        continue
                    target = member.fget if isinstance(member, property) else member
                    if inspect.isfunction(target) or isinstance(member, property):
                        yield f"{module.__name__}.{name}.{attr}", target


def test_public_docstrings_are_clean():
    bad = {}
    names = 0
    for name, obj in _public_objects():
        names += 1
        found = _offences(inspect.getdoc(obj) or "")
        if found:
            bad[name] = found
    assert names > 100          # the walk does reach the public API
    assert bad == {}


def test_the_checker_catches_a_citation():
    assert _offences("the buckets of SPEC 3") and _offences("see the shared folder")
    assert not _offences("a specification of our own")


def test_definitions_are_installed_with_the_package():
    installed = definitions_text()
    assert installed == (REPO / "docs" / "definitions.md").read_text(encoding="utf-8"), \
        "src/agentstats/docs/definitions.md must be a copy of docs/definitions.md"
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"docs/*.md"' in pyproject


# Every statistic column, bucket, line reason and error code has an entry (or is named in one).
TERMS = ["session_duration", "TotalTalkTime", "wrapup_time",
         "number_of_calls", "acd_call_rate", "LongestTimeToAnswer", "AverageTimeToAnswer",
         "logged_in", "occupancy", "utilisation", "average_handle_time", "calls_per_hour",
         "OverallCallRate", "missed", "total_calls_queued", "CurrentCallsQueued", "answered",
         "total_calls_abandoned", "final_disposition", "LongestEverWaitTime", "average_wait_time",
         "average_speed_of_answer", "abandon_rate", "service_level_20", "after_as_of", "after_end",
         "duplicate", "invalid_state", "invalid_time", "off_table", "blank", "late", "time_jump",
         "orphan", "unterminated_call", "no_state_change", "E_POINTER", "E_INVALIDARG",
         "LINEERR_OPERATIONFAILED", "LINEERR_OPERATIONUNAVAIL", "LINEERR_RESOURCEUNAVAIL",
         "TAPI_E_TIMEOUT", "LINEERR_INVALPARAM", "LINEERR_UNINITIALIZED", "E_OUTOFMEMORY",
         "LINEERR_INVALAGENTSESSIONSTATE"]


@pytest.mark.parametrize("term", TERMS)
def test_every_term_is_defined(term):
    assert explain(term) is not None, term


def test_the_numbers_the_definitions_fix():
    assert "0x80004003" in explain("E_POINTER")
    assert "120 s" in explain("TAPI_E_TIMEOUT")
    assert "20 s" in explain("service_level")
    assert "half to even" in explain("acd_call_rate")
    assert "1899-12-30" in explain("session_start_time")
    assert explain("no such term at all") is None


def test_explain_command(capsys):
    assert main(["explain", "occupancy"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("occupancy\n") and "(talk + wrap-up) / (talk + wrap-up + ready)" in out
    assert main(["explain"]) == 0
    listing = capsys.readouterr().out
    assert all(f"  {heading}\n" in listing for heading in entries())
    assert main(["explain", "frobnicate"]) == 2
    assert "no definition of 'frobnicate'" in capsys.readouterr().err


def test_help_points_to_the_definitions():
    assert "agentstats explain TERM" in build_parser()._subparsers._group_actions[0].choices["report"].format_help()
    assert (REPO / "docs" / "definitions.md").is_file()


def test_every_page_the_help_names_is_installed(capsys):
    # an installed user has the package, not the repository: every docs/ page that --help
    # names must be installed with it, and every `agentstats explain TERM` it names defined
    import re
    from importlib.resources import files

    from agentstats.cli import main

    texts = []
    for argv in (["--help"], ["report", "--help"], ["demo", "--help"], ["explain", "--help"]):
        assert main(argv) == 0
        texts.append(capsys.readouterr().out)
    text = "\n".join(texts)
    pages = set(re.findall(r"docs/[\w./-]+\.md", text))
    assert pages == {"docs/definitions.md"}
    for page in pages:
        assert (files("agentstats") / page).is_file(), page
    for term in re.findall(r"agentstats explain ([a-z_]+)", text):
        if term != "lists":
            assert explain(term) is not None, term
