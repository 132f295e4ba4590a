"""``report.html``: one self-contained page (inline CSS and JS, the data embedded as JSON; no network).

The page template, style and script are package files beside this module. The data goes into a
``<script type="application/json">`` element with every ``<`` written as ``\\u003c``, so no text in it
can close the element; the script puts strings in the document only as text.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

__all__ = ["render_html", "embed_json"]


def _finite(value: Any) -> Any:
    """NaN and infinities (an empty sample's mean, pass^k past the trials) become ``null``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def embed_json(data: Any) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(_finite(data), allow_nan=False, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _asset(name: str) -> str:
    return resources.files("coalm_env.report").joinpath(name).read_text(encoding="utf-8")


def render_html(stats: Mapping[str, Any], episodes: Sequence[Mapping[str, Any]], sources: Sequence[str],
                title: str = "coalm-env report") -> str:
    """The page: sortable cell and breakdown tables and the transcript viewer over ``episodes``
    (:func:`coalm_env.report.transcripts.episode_views`)."""
    data = {"cells": stats["cells"], "breakdowns": stats["breakdowns"], "episodes": list(episodes),
            "sources": list(sources)}
    page = _asset("page.html")
    for key, value in (("__STYLE__", _asset("page.css")), ("__SCRIPT__", _asset("page.js")),
                       ("__TITLE__", html.escape(title)), ("__DATA__", embed_json(data))):
        page = page.replace(key, value)  # data last: nothing in it is read as a placeholder
    return page
