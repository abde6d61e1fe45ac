"""Every relative link and #anchor in README.md and docs/*.md leads somewhere: the file
exists (inside the repository) and, for an anchor into a Markdown file, a heading of that
file has it (GitHub's rule: lower case, punctuation but '-' and '_' dropped, spaces '-')."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.unit.test_docs_parsing import DOCS, REPO, anchors, prose

LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_SPAN = re.compile(r"`[^`\n]*`")


def links(doc: Path) -> list[tuple[int, str]]:
    """(line, target) of every Markdown link and image outside code."""
    out = []
    for n, line in enumerate(prose(doc).split("\n"), 1):
        for m in LINK.finditer(CODE_SPAN.sub("", line)):
            out.append((n, m.group(1)))
    return out


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_given_a_guide_when_its_links_are_followed_then_each_file_and_anchor_exists(
        doc: Path) -> None:
    broken = []
    for line, target in links(doc):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):   # http:, https:, mailto:...
            continue
        path, _, anchor = target.partition("#")
        dest = (doc.parent / unquote(path)).resolve() if path else doc
        if REPO not in dest.parents and dest != REPO:
            broken.append(f"{line}: {target}: outside the repository")
            continue
        if not dest.exists():
            broken.append(f"{line}: {target}: no such file")
            continue
        if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{line}: {target}: no heading #{anchor} in {dest.name}")
    assert not broken, f"{doc.relative_to(REPO)}:\n" + "\n".join(broken)


def test_given_the_guides_then_they_link_to_each_other() -> None:
    """The README links every guide; each guide is linked from the README."""
    readme = {t.partition("#")[0] for _, t in links(REPO / "README.md")}
    missing = [d.name for d in DOCS[1:] if f"docs/{d.name}" not in readme]
    assert not missing, f"guides the README does not link: {missing}"
