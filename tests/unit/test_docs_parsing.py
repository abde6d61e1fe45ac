"""The README and the guides under docs/, read as the tests of the documentation need them
(test_docs_*.py): their fenced blocks with the mark on the line before each, their links
and headings; and tests of that reading.

Marks (an HTML comment alone on the line before a fence):

- ``<!-- run -->``: a ``sh``/``bash`` block the tests run (see test_docs_examples.py);
- ``<!-- not run: REASON -->``: a block the tests leave alone (a live call, a running
  engine, root...); a ``yaml`` block so marked is still parsed;
- ``<!-- file: NAME -->``: a ``yaml`` block written to NAME for the run blocks after it in
  the same document (not loaded as a config: a run block does what it says with it);
- ``<!-- output -->``: the exact output of the run block just before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)\s*$")
MARK = re.compile(r"^<!--\s*(run|output|not run|file)\s*(?::\s*(.*?))?\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int            # the line of the opening fence (1-based)
    lang: str
    text: str
    mark: str | None     # run, output, not run, file (or None)
    mark_arg: str        # the reason, or the file's name

    def where(self) -> str:
        return f"{self.doc.relative_to(REPO)}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    """The fenced blocks of ``doc`` in order, each with the mark on the line before it."""
    lines = doc.read_text().split("\n")
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(1), m.group(2).lower()
        end = i + 1
        while end < len(lines) and lines[end].rstrip() != fence:
            end += 1
        prev = lines[i - 1] if i > 0 else ""
        mark = MARK.match(prev.strip())
        found.append(Block(doc, i + 1, lang, "\n".join(lines[i + 1:end]) + "\n",
                           mark.group(1) if mark else None,
                           (mark.group(2) or "") if mark else ""))
        i = end + 1
    return found


def prose(doc: Path) -> str:
    """``doc`` without its fenced blocks (their lines blanked, so line numbers hold)."""
    out, fence = [], None
    for line in doc.read_text().split("\n"):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
            out.append("")
        elif fence is not None:
            if line.rstrip() == fence:
                fence = None
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, markup and punctuation dropped
    (except '-' and '_'), each space a '-'."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", heading)      # images: their text
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)           # links: their text
    text = re.sub(r"<[^>]+>", "", text)                            # inline HTML
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(doc: Path) -> set[str]:
    """Every heading's anchor in ``doc``; repeated headings get -1, -2... as on GitHub."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for line in prose(doc).split("\n"):
        m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = github_anchor(m.group(2))
        n = seen.get(base, 0)
        out.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return out


@pytest.mark.parametrize(("heading", "anchor"), [
    ("Signing in (the desk's session)", "signing-in-the-desks-session"),
    ("Overload: new callers refused at the door, calls in go on",
     "overload-new-callers-refused-at-the-door-calls-in-go-on"),
    ("Asterisk is supervised; health", "asterisk-is-supervised-health"),
    ("For admins: the `reporting:` section", "for-admins-the-reporting-section"),
    ("Off until configured: `chat`, `webrtc`", "off-until-configured-chat-webrtc"),
    ("snake_case and dash-ed", "snake_case-and-dash-ed"),
])
def test_given_a_heading_then_its_anchor_follows_githubs_rule(heading: str,
                                                              anchor: str) -> None:
    assert github_anchor(heading) == anchor


def test_given_marked_blocks_when_read_then_each_has_its_mark_and_line(tmp_path: Path) -> None:
    doc = tmp_path / "guide.md"
    doc.write_text("# Guide\n\n<!-- run -->\n```sh\necho hi\n```\n\n<!-- output -->\n```\n"
                   "hi\n```\n\n<!-- not run: needs a live call -->\n```bash\ncurl x\n```\n"
                   "\n<!-- file: engine.yaml -->\n```yaml\napi: {port: 1}\n```\n\n```yaml\n"
                   "a: 1\n```\n")
    found = [(b.line, b.lang, b.mark, b.mark_arg, b.text) for b in blocks(doc)]
    assert found == [(4, "sh", "run", "", "echo hi\n"), (9, "", "output", "", "hi\n"),
                     (14, "bash", "not run", "needs a live call", "curl x\n"),
                     (19, "yaml", "file", "engine.yaml", "api: {port: 1}\n"),
                     (23, "yaml", None, "", "a: 1\n")]
    assert "echo" not in prose(doc) and "# Guide" in prose(doc)


def test_given_repeated_headings_then_github_numbers_their_anchors(tmp_path: Path) -> None:
    doc = tmp_path / "guide.md"
    doc.write_text("# Guide\n## For admins\n```sh\n# not a heading\n```\n## For admins\n")
    assert anchors(doc) == {"guide", "for-admins", "for-admins-1"}
