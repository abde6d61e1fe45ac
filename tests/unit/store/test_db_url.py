"""Store URLs: SQLite (aiosqlite) and PostgreSQL (asyncpg) only, refused clearly otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccengine.store.db import InvalidStoreUrl, create_engine_from_url


@pytest.mark.parametrize("url", ["mysql+aiomysql://x@y/z", "sqlite:///sync.db",
                                 "postgresql://postgres@localhost/test", "not a url"])
def test_given_unsupported_url_when_engine_created_then_invalid_store_url(url: str) -> None:
    with pytest.raises(InvalidStoreUrl) as err:
        create_engine_from_url(url)
    assert err.value.code == "store_url_invalid" and repr(url) in str(err.value)


async def test_given_sqlite_path_in_missing_folder_when_engine_created_then_folder_made(
        tmp_path: Path) -> None:
    engine = create_engine_from_url(f"sqlite+aiosqlite:///{tmp_path / 'a' / 'b' / 's.db'}")
    try:
        assert (tmp_path / "a" / "b").is_dir()
        assert engine.dialect.name == "sqlite"
    finally:
        await engine.dispose()
