"""The desk's files are served from agents/desk only: no path outside it, no hidden file,
no file of a type the desk does not ship."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from ccengine.api.desk_static import DESK_DIR, desk_file


def test_given_the_folder_when_asked_then_index_is_served() -> None:
    assert desk_file(DESK_DIR, "") == (DESK_DIR / "index.html").resolve()
    assert desk_file(DESK_DIR, "js/phone.js").name == "phone.js"


@pytest.mark.parametrize("relative", ["../README.md", "js/../../README.md", "/etc/passwd",
                                      ".gitignore", "package.json", "node_modules/x.js",
                                      "js/missing.js", "vendor-entry/../../pyproject.toml"])
def test_given_a_path_outside_or_unshipped_when_asked_then_404(relative: str,
                                                               tmp_path: Path) -> None:
    with pytest.raises(web.HTTPNotFound):
        desk_file(DESK_DIR, relative)
