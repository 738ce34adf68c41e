"""The `{key}`, `{key.part}` and `{key:upper}` placeholders of printed texts."""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)(?:\.([a-z_]+))?(?::([a-z]+))?\}")


def placeholders(text: str) -> list[tuple[str, str | None, str | None]]:
    """The `{key.part:how}` placeholders in a block text, for check-forms."""
    return [(m.group(1), m.group(2), m.group(3)) for m in PLACEHOLDER.finditer(text)]
