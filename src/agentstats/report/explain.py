"""`agentstats explain TERM`: the definition of a statistic, a line bucket or an error
code, read from the definitions page installed with the package."""

from __future__ import annotations

import re

__all__ = ["definitions_text", "entries", "explain"]


def definitions_text() -> str:
    """The whole definitions page (Markdown), as installed with the package."""
    from importlib.resources import files

    return (files("agentstats") / "docs" / "definitions.md").read_text(encoding="utf-8")


def entries() -> dict[str, str]:
    """Every defined term -> its entry (the heading's text, then its paragraphs)."""
    out: dict[str, str] = {}
    for block in re.split(r"^### ", definitions_text(), flags=re.M)[1:]:
        heading, _, body = block.partition("\n")
        body = body.split("\n## ", 1)[0].strip()
        out[heading.strip()] = body
    return out


def _normal(term: str) -> str:
    return re.sub(r"[\s_\-]+", "_", term.strip().lower())


def explain(term: str) -> str | None:
    """The entry of `term` (case, spaces, '-' and '_' do not matter; TAPI getter names
    such as TotalTalkTime or get_TotalTalkTime are found in the entries' text), or None."""
    known = entries()
    wanted = _normal(term)
    for heading, body in known.items():
        if _normal(heading) == wanted:
            return f"{heading}\n\n{body}"
    bare = term.strip().removeprefix("get_").removeprefix("put_")
    if bare:
        # a getter, an error code or a column named inside an entry: `Name` or Name:
        pattern = re.compile(rf"`{re.escape(bare)}`|`{re.escape(bare)}_T`|^{re.escape(bare)}\b", re.M | re.I)
        for heading, body in known.items():
            if pattern.search(body):
                return f"{heading}\n\n{body}"
    numbered = re.fullmatch(r"(.+?)_\d+", term.strip())    # service_level_20 -> service_level
    return explain(numbered.group(1)) if numbered else None
