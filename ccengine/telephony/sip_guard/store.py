"""The blocks on disk: ``runtime_dir/sip-blocks.json``, so that a restart of the engine
(and the Asterisk config rendered at start) keeps them until they expire."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from ccengine.telephony.sip_guard.blocks import Block

log = logging.getLogger(__name__)

FILE_NAME = "sip-blocks.json"


def blocks_file(runtime_dir: Path) -> Path:
    return runtime_dir / FILE_NAME


def load_blocks(path: Path) -> list[Block]:
    """The blocks saved in ``path`` (none if it does not exist). A file that cannot be read
    is logged and counts as none: blocks are protection, not records."""
    try:
        data = json.loads(path.read_text())
        return [Block.from_json(item) for item in data["blocks"]]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.error("SIP blocks: cannot read %s (%s); starting with none", path, e)
        return []


def save_blocks(path: Path, blocks: Iterable[Block]) -> None:
    """Write ``blocks`` to ``path`` atomically (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"blocks": [b.to_json() for b in blocks]}, indent=1) + "\n")
    os.replace(tmp, path)
