"""Web-dependent APIs, answered offline and deterministically.

The original ``Dictionary`` and ``Translate`` call live web services and ``DocumentQA`` a model; here
they replay the answers the dataset records for the same (normalized) input, and fail with a
``not_recorded`` error naming the recorded inputs otherwise (``Translate`` first refuses a
``src_lang`` that is no language, as the live service does; no recording has one). ``Wiki``, ``ImageCaption`` and
``SpeechRecognition`` read their init databases; ``SearchEngine`` replays recordings first and
otherwise ranks the ``SearchEngine`` database documents with BM25; ``DocumentQA`` falls back to the
``QuestionAnswering`` database, then to the original's "too difficult" answer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from coalm_env.backend.store import StoreView
from coalm_env.domains.apibank.resources import Recordings, reference
from coalm_env.domains.apibank.retriever import BM25Index
from coalm_env.domains.apibank.schema import fail

__all__ = ["handlers", "replay", "TOO_DIFFICULT"]

TOO_DIFFICULT = "The question is too difficult to answer."
_SEARCH_RESULTS = 2
#: a language as the translation service takes one: ``auto``, a code (``en``, ``zh-cn``) or a one-word
#: name (``english``); anything else (a phrase, digits) is refused as the live service refuses it
_LANGUAGE_RE = re.compile(r"^(?:auto|[A-Za-z]{2,3}(?:-[A-Za-z]{2,4})?|[A-Za-z]{4,20})$")


def replay(recorded: Recordings, name: str, arguments: dict[str, Any], keys: tuple[str, ...] | None = None) -> Any:
    """The recorded output for this call, or a ``not_recorded`` error listing what is recorded."""
    found, output = recorded.get(name, arguments, keys)
    if found:
        return output
    known = sorted({", ".join(f"{k}={v!r}" for k, v in i.items() if keys is None or k in keys)
                    for i in recorded.inputs(name)})
    raise fail(
        f"{name} runs offline and only knows the inputs the dataset records; {arguments!r} is not one of them. "
        f"Recorded: {'; '.join(known[:12]) or '(none)'}",
        "not_recorded",
    )


@functools.cache
def _search_index() -> BM25Index:
    docs = reference()["SearchEngine"]["raw_documents"]
    return BM25Index([(str(i), f"{d['title']} {d['abstract']}") for i, d in enumerate(docs)])


def _lookup(table: str, key: str, message: str) -> Any:
    wanted = " ".join(str(key).lower().split())
    for name, value in reference()[table].items():
        if " ".join(name.lower().split()) == wanted:
            return value
    raise fail(message, "not_found")


def handlers(recorded: Recordings) -> dict[str, tuple[Callable[..., Any], bool]]:
    """The web APIs bound to the recordings: ``{name: (function, writes)}``."""

    def dictionary(state: StoreView, keyword: str) -> Any:
        return replay(recorded, "Dictionary", {"keyword": str(keyword).replace("_", " ")})

    def translate(state: StoreView, src: str, tgt_lang: str, src_lang: str | None = None) -> Any:
        if src_lang is not None and not _LANGUAGE_RE.match(str(src_lang).strip()):
            # the live service refuses a source language it does not know (recordings have none)
            raise fail(f"invalid source language {src_lang!r}", "invalid_arguments")
        return replay(recorded, "Translate", {"src": src, "tgt_lang": tgt_lang}, ("src", "tgt_lang"))

    def search_engine(state: StoreView, keyword: str) -> Any:
        found, output = recorded.get("SearchEngine", {"keyword": keyword})
        if found:
            return output
        docs = reference()["SearchEngine"]["raw_documents"]
        hits = [i for i, score in _search_index().rank(str(keyword), _SEARCH_RESULTS) if score > 0]
        if not hits:
            raise fail("No document matches the keyword.", "not_found")
        return [dict(docs[int(i)]) for i in hits]

    def wiki(state: StoreView, keyword: str) -> Any:
        page = _lookup("Wiki", keyword, "The keyword is not in the wiki database.")
        return {"url": page["url"], "summary": page["summary"]}

    def image_caption(state: StoreView, url: str) -> Any:
        caption = reference()["ImageCaptioning"].get(str(url).strip())
        if caption is None:
            raise fail("The image URL is not in the database.", "not_found")
        return caption

    def speech_recognition(state: StoreView, url: str) -> Any:
        return _lookup("SpeechRecognition", url, "The audio URL is not in the database.")

    def document_qa(state: StoreView, url: str, question: str) -> Any:
        found, output = recorded.get("DocumentQA", {"url": url, "question": question})
        if found:
            return output
        qa = reference()["QuestionAnswering"].get(str(url).strip())
        if qa is None:
            raise fail("The document URL is not in the database.", "not_found")
        wanted = " ".join(str(question).lower().split())
        return next((p["answer"] for p in qa if " ".join(p["question"].lower().split()) == wanted), TOO_DIFFICULT)

    return {
        "Dictionary": (dictionary, False), "Translate": (translate, False), "SearchEngine": (search_engine, False),
        "Wiki": (wiki, False), "ImageCaption": (image_caption, False),
        "SpeechRecognition": (speech_recognition, False), "DocumentQA": (document_qa, False),
    }
