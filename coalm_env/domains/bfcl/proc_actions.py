"""What the procedural BFCL generator may ask for: per official function a *binder* (argument values
that exist in the episode's current state) and a *template* (the request in words), plus the curated
data edges the skeleton sampler walks.

Edges. The doc-derived edges of :func:`coalm_env.domains.bfcl.apis.doc_dependencies` link fields by
name and type only, and many carry no data a user would chain (``get_order_details.status ->
get_user_tickets.status``, ``get_tweet.content -> post_tweet.content``), while real chains whose names
differ are missing (``get_nearest_airport_by_city.nearest_airport -> book_flight.travel_from``,
``add.result -> multiply.a``). :data:`EDGES` is therefore a curated whitelist, every edge inside one
class and one a user would ask for in one request ("book a flight from the airport nearest to
Rivermist", "the square root of the sum of 3 and 6").

Templates. ``say(args, ref)`` renders one call as a clause; ``ref(param)`` is the literal value
(``'notes.txt'``, ``42``) or, for a parameter fed by an earlier step of the same request, a noun
phrase describing that step's output (the source's ``noun``: "the airport nearest to Rivermist").
A read-only lookup marked ``implicit`` whose output feeds a later step of the request is not said
on its own: the later clause's noun phrase names what to look up (as BFCL's users do: "buy 10 shares
of Nvidia" implies ``get_symbol_by_name``). ``vague`` phrases stand in for a value held back
(miss_param); the next turn says it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coalm_env.backend.graph import Dependency
from coalm_env.domains.bfcl.proc_world import (CITIES_AIRPORT, CITIES_ZIP, COMPANIES, DOORS, FIRST_NAMES,
                                               TAGS, WORDS, _pick, _sentence)

__all__ = ["Action", "ACTIONS", "CREATORS", "EDGES", "LABELS", "lit", "human", "flight_routes", "zip_pairs"]


def lit(value: Any) -> str:
    """A value as said in a request: strings quoted, lists joined."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(lit(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return ", ".join(f"{human(k)} {lit(v)}" for k, v in value.items())
    return repr(value)


def human(param: str) -> str:
    """``file_name`` -> ``file name``, ``fuelAmount`` -> ``fuel amount``."""
    out = []
    for ch in param.replace("_", " "):
        out.append(" " + ch.lower() if ch.isupper() else ch)
    return "".join(out).strip()


Ref = Callable[[str], str]

#: how the user names a held-back value when saying it (miss_param's follow-up turn); else :func:`human`
LABELS = {"b": "other number", "whole": "total", "exponent": "power", "precision": "precision",
          "decimal_places": "number of decimal places", "content": "text", "comment_content": "comment",
          "mentioned_usernames": "users to mention", "username_to_follow": "user to follow",
          "username_to_unfollow": "user to unfollow", "user_name": "new contact's name", "receiver_id": "receiver",
          "fuelAmount": "amount in gallons", "temperature": "temperature", "dir_name": "folder name",
          "card_verification_number": "security code", "insurance_cost": "insurance cost in dollars",
          "budget_limit": "budget limit in dollars", "amount": "amount", "price": "price per share"}


@dataclass(frozen=True)
class Action:
    """One requestable function.

    ``bind(rng, instance, init)`` -> every argument of the call (required and the chosen optional
    ones) from the live instance and the class's initial config, or ``None`` when the state offers
    no valid call; ``say(args, ref)`` the clause; ``noun(args, ref)`` its output as a noun phrase
    (for a later step it feeds); ``vague`` per parameter, the words used when the value is held back.
    """

    cls: str
    bind: Callable[[np.random.Generator, Any, dict[str, Any]], dict[str, Any] | None]
    say: Callable[[dict[str, Any], Ref], str]
    noun: Callable[[dict[str, Any], Ref], str] | None = None
    implicit: bool = False
    vague: dict[str, str] = field(default_factory=dict)


# -- file system ------------------------------------------------------------------------------------
def _entries(fs: Any) -> dict[str, Any]:
    return dict(fs._current_dir.contents)


def _files_here(fs: Any) -> list[str]:
    return [n for n, item in _entries(fs).items() if not hasattr(item, "contents")]


def _dirs_here(fs: Any) -> list[str]:
    return [n for n, item in _entries(fs).items() if hasattr(item, "contents")]


def _one(rng, seq):
    seq = list(seq)
    return None if not seq else seq[int(rng.integers(len(seq)))]


def _new_name(rng, taken, ext: str = "") -> str:
    for _ in range(20):
        name = f"{_pick(rng, WORDS)}_{_pick(rng, WORDS)}{ext}"
        if name not in taken:
            return name
    return f"new_{int(rng.integers(10**6))}{ext}"


def _b_cd(rng, fs, init):
    dirs = _dirs_here(fs)
    if fs._current_dir.parent is not None and (not dirs or rng.random() < 0.15):
        return {"folder": ".."}
    d = _one(rng, dirs)
    return None if d is None else {"folder": d}


def _b_file(param="file_name"):
    def bind(rng, fs, init):
        f = _one(rng, _files_here(fs))
        return None if f is None else {param: f}
    return bind


def _b_mkdir(rng, fs, init):
    return {"dir_name": _new_name(rng, _entries(fs))}


def _b_touch(rng, fs, init):
    return {"file_name": _new_name(rng, _entries(fs), _pick(rng, (".txt", ".md", ".log")))}


def _b_echo(rng, fs, init):
    files = _files_here(fs)
    name = _one(rng, files) if files and rng.random() < 0.4 else _new_name(rng, _entries(fs), ".txt")
    return {"content": _sentence(rng), "file_name": name}


def _b_move(rng, fs, init, copy=False):
    names = _files_here(fs) if copy else list(_entries(fs))
    src = _one(rng, names)
    if src is None:
        return None
    dirs = [d for d in _dirs_here(fs) if d != src and src not in fs._current_dir.contents[d].contents]
    if dirs and rng.random() < 0.6:  # "_into": a meta key for the template, never an argument
        return {"source": src, "destination": _one(rng, dirs), "_into": True}
    ext = "." + src.rsplit(".", 1)[1] if "." in src else ""
    return {"source": src, "destination": _new_name(rng, _entries(fs), ext)}


def _b_grep(rng, fs, init):
    f = _one(rng, _files_here(fs))
    if f is None:
        return None
    words = fs._current_dir.contents[f].content.split()
    return None if not words else {"file_name": f, "pattern": _one(rng, words)}


def _b_wc(rng, fs, init):
    f = _one(rng, _files_here(fs))
    return None if f is None else {"file_name": f, "mode": _pick(rng, ("l", "w", "c"))}


def _b_tail(rng, fs, init):
    f = _one(rng, _files_here(fs))
    if f is None:
        return None
    return {"file_name": f, "lines": int(rng.integers(1, 4))} if rng.random() < 0.6 else {"file_name": f}


def _b_diff(rng, fs, init):
    files = _files_here(fs)
    if len(files) < 2:
        return None
    a, b = _pick(rng, files, 2)
    return {"file_name1": a, "file_name2": b}


def _all_names(directory: Any) -> list[str]:
    out = []
    for name, item in directory.contents.items():
        out.append(name)
        if hasattr(item, "contents"):
            out.extend(_all_names(item))
    return out


def _b_find(rng, fs, init):
    names = _all_names(fs._current_dir)
    if not names:
        return None
    stem = _one(rng, names).split(".")[0].split("_")[0]
    return {"path": ".", "name": stem[: max(3, len(stem) - int(rng.integers(0, 2)))]}


_WC = {"l": "lines", "w": "words", "c": "characters"}


def _say_move(verb: str, new: str):
    def say(a, r):
        if a.get("_into"):
            return f"{verb} {r('source')} into the {r('destination')} folder"
        return f"{new} {r('source')} as {r('destination')}"
    return say


FS: dict[str, Action] = {
    "ls": Action("GorillaFileSystem", lambda rng, fs, i: {"a": True} if rng.random() < 0.2 else {},
                 lambda a, r: "list what is in the current folder" + (", hidden files included" if a.get("a") else "")),
    "pwd": Action("GorillaFileSystem", lambda rng, fs, i: {}, lambda a, r: "tell me which folder I am in"),
    "cd": Action("GorillaFileSystem", _b_cd,
                 lambda a, r: "go up to the parent folder" if a["folder"] == ".." else f"go into the {r('folder')} folder",
                 vague={"folder": "a sub-folder"}),
    "cat": Action("GorillaFileSystem", _b_file(), lambda a, r: f"show me what {r('file_name')} says",
                  vague={"file_name": "one of the files"}),
    "mkdir": Action("GorillaFileSystem", _b_mkdir, lambda a, r: f"create a folder named {r('dir_name')}",
                    vague={"dir_name": "a new folder"}),
    "touch": Action("GorillaFileSystem", _b_touch, lambda a, r: f"create an empty file called {r('file_name')}",
                    vague={"file_name": "a new file"}),
    "echo": Action("GorillaFileSystem", _b_echo, lambda a, r: f"write {r('content')} into the file {r('file_name')}",
                   vague={"file_name": "a file", "content": "some text"}),
    "rm": Action("GorillaFileSystem", _b_file(), lambda a, r: f"delete {r('file_name')}",
                 vague={"file_name": "one of the files"}),
    "mv": Action("GorillaFileSystem", _b_move, _say_move("move", "rename"), vague={"destination": "somewhere else"}),
    "cp": Action("GorillaFileSystem", lambda rng, fs, i: _b_move(rng, fs, i, copy=True), _say_move("copy", "duplicate"),
                 vague={"destination": "somewhere"}),
    "grep": Action("GorillaFileSystem", _b_grep, lambda a, r: f"find the lines of {r('file_name')} that contain "
                   f"{r('pattern')}", vague={"pattern": "a word"}),
    "wc": Action("GorillaFileSystem", _b_wc, lambda a, r: f"count the {_WC[a['mode']]} in {r('file_name')}",
                 vague={"file_name": "a file"}),
    "tail": Action("GorillaFileSystem", _b_tail,
                   lambda a, r: (f"show me the last {r('lines')} line(s) of {r('file_name')}" if "lines" in a
                                 else f"show me the end of {r('file_name')}"), vague={"file_name": "a file"}),
    "sort": Action("GorillaFileSystem", _b_file(), lambda a, r: f"sort the lines of {r('file_name')}",
                   vague={"file_name": "a file"}),
    "diff": Action("GorillaFileSystem", _b_diff, lambda a, r: f"compare {r('file_name1')} with {r('file_name2')} "
                   "line by line", vague={"file_name2": "another file"}),
    "find": Action("GorillaFileSystem", _b_find, lambda a, r: "find every file or folder under the current folder "
                   f"whose name contains {r('name')}", vague={"name": "a certain text"}),
    "du": Action("GorillaFileSystem", lambda rng, fs, i: {"human_readable": bool(rng.random() < 0.5)},
                 lambda a, r: "tell me how much disk space the current folder uses"
                 + (" in a human-readable form" if a.get("human_readable") else " in bytes")),
}


# -- messaging --------------------------------------------------------------------------------------
def _person(uid: str, m: Any) -> str:
    return f"the user with ID {lit(uid)}"


def _b_send(rng, m, init):
    others = [u for u in m.user_map.values() if u != m.current_user]
    return None if not others else {"receiver_id": _one(rng, others), "message": _sentence(rng).capitalize() + "."}


def _b_delete(rng, m, init):
    receivers = sorted({next(iter(msg)) for msg in m.inbox})
    return None if not receivers else {"receiver_id": _one(rng, receivers)}


def _b_add_contact(rng, m, init):
    new = [n for n in FIRST_NAMES if n not in m.user_map]
    return None if not new else {"user_name": _one(rng, new)}


def _b_search_msg(rng, m, init):
    words = [w for msg in m.inbox for w in next(iter(msg.values())).lower().strip(".").split()]
    return None if not words else {"keyword": _one(rng, words)}


MSG: dict[str, Action] = {
    "list_users": Action("MessageAPI", lambda rng, m, i: {}, lambda a, r: "list every user in the workspace"),
    "get_user_id": Action("MessageAPI", lambda rng, m, i: {"user": _one(rng, m.user_map)},
                          lambda a, r: f"look up the user ID of {a['user']}", noun=lambda a, r: a["user"],
                          implicit=True),
    "send_message": Action("MessageAPI", _b_send, lambda a, r: f"send {r('receiver_id')} the message {r('message')}",
                           vague={"message": "(the text I will give you)", "receiver_id": "someone"}),
    "view_messages_sent": Action("MessageAPI", lambda rng, m, i: {}, lambda a, r: "show me every message I have sent"),
    "delete_message": Action("MessageAPI", _b_delete, lambda a, r: f"delete my latest message to {r('receiver_id')}",
                             vague={"receiver_id": "one of my contacts"}),
    "add_contact": Action("MessageAPI", _b_add_contact, lambda a, r: f"add {a['user_name']} as a new contact",
                          noun=lambda a, r: f"the new contact {a['user_name']}", vague={"user_name": "a new person"}),
    "search_messages": Action("MessageAPI", _b_search_msg, lambda a, r: f"search my messages for {r('keyword')}",
                              vague={"keyword": "a word"}),
    "get_message_stats": Action("MessageAPI", lambda rng, m, i: {}, lambda a, r: "give me my messaging statistics"),
    "message_get_login_status": Action("MessageAPI", lambda rng, m, i: {},
                                       lambda a, r: "check whether I am logged in to the messaging app"),
}


# -- posting ----------------------------------------------------------------------------------------
def _created(init, kind: str) -> list:
    """Ids an earlier turn of the task created (and the user can name: see :data:`CREATORS`)."""
    return list((init.get("_created") or {}).get(kind, ()))


def _tweet_ids(tw, init) -> list[int]:
    ids = [int(k) for k in (init.get("tweets") or {})] + _created(init, "tweet_id")
    return [i for i in ids if i in tw.tweets]


def _b_post(rng, tw, init):
    # tags and mentions always given: TwitterAPI.post_tweet's defaults are shared mutable lists (``mention``
    # appends to a tweet's list in place), so a tweet posted with the defaults leaks into later ones
    return {"content": _sentence(rng).capitalize() + "!",
            "tags": _pick(rng, TAGS, int(rng.integers(1, 3))) if rng.random() < 0.5 else [],
            "mentions": [f"@{_pick(rng, FIRST_NAMES).lower()}"] if rng.random() < 0.3 else []}


def _say_post(a, r):
    text = f"post a tweet saying {r('content')}"
    if a.get("tags"):
        text += f" with the tags {r('tags')}"
    if a.get("mentions"):
        text += f", mentioning {r('mentions')}"
    return text


def _b_tweet(extra=None):
    def bind(rng, tw, init):
        ids = _tweet_ids(tw, init)
        if not ids:
            return None
        args = {"tweet_id": _one(rng, ids)}
        if extra:
            args.update(extra(rng, tw))
        return args
    return bind


def _b_search_tweet(rng, tw, init):
    counts: dict[str, int] = {}
    for t in tw.tweets.values():
        for w in set(t["content"].lower().strip("!").split()):
            counts[w] = counts.get(w, 0) + 1
    unique = sorted(w for w, c in counts.items() if c == 1)  # names exactly one tweet
    return None if not unique else {"keyword": _one(rng, unique)}


def _authors(tw) -> list[str]:
    return sorted({t["username"] for t in tw.tweets.values()})


def _tweet_ref(r: Ref, a) -> str:
    value = r("tweet_id")
    return f"tweet {value}" if value[:1].isdigit() else value


TW: dict[str, Action] = {
    "post_tweet": Action("TwitterAPI", _b_post, _say_post, noun=lambda a, r: "the tweet you just posted",
                         vague={"content": "something"}),
    "retweet": Action("TwitterAPI", _b_tweet(), lambda a, r: f"retweet {_tweet_ref(r, a)}"),
    "comment": Action("TwitterAPI", _b_tweet(lambda rng, tw: {"comment_content": _sentence(rng, 4).capitalize() + "."}),
                      lambda a, r: f"comment {r('comment_content')} on {_tweet_ref(r, a)}",
                      vague={"comment_content": "a comment"}),
    "mention": Action("TwitterAPI", _b_tweet(lambda rng, tw: {"mentioned_usernames": _pick(
        rng, [f.lower() for f in FIRST_NAMES], int(rng.integers(1, 3)))}),
        lambda a, r: f"mention {r('mentioned_usernames')} in {_tweet_ref(r, a)}", vague={"mentioned_usernames": "some friends"}),
    "follow_user": Action("TwitterAPI", lambda rng, tw, i: (lambda c: None if c is None else {"username_to_follow": c})(
        _one(rng, [u for u in _authors(tw) + [f.lower() for f in FIRST_NAMES[:6]]
                   if u not in tw.following_list and u != tw.username])),
        lambda a, r: f"follow {r('username_to_follow')}", vague={"username_to_follow": "someone"}),
    "unfollow_user": Action("TwitterAPI", lambda rng, tw, i: (lambda c: None if c is None else {"username_to_unfollow": c})(
        _one(rng, tw.following_list)), lambda a, r: f"unfollow {r('username_to_unfollow')}",
        vague={"username_to_unfollow": "someone I follow"}),
    "list_all_following": Action("TwitterAPI", lambda rng, tw, i: {}, lambda a, r: "list everyone I follow"),
    "get_tweet": Action("TwitterAPI", _b_tweet(), lambda a, r: f"show me {_tweet_ref(r, a)}"),
    "get_tweet_comments": Action("TwitterAPI", _b_tweet(), lambda a, r: f"show me the comments on {_tweet_ref(r, a)}"),
    "get_user_stats": Action("TwitterAPI", lambda rng, tw, i: {"username": _one(rng, _authors(tw))},
                             lambda a, r: f"get the posting statistics of {r('username')}", vague={"username": "a user"}),
    "get_user_tweets": Action("TwitterAPI", lambda rng, tw, i: {"username": _one(rng, _authors(tw))},
                              lambda a, r: f"list every tweet by {r('username')}", vague={"username": "a user"}),
    "search_tweets": Action("TwitterAPI", _b_search_tweet, lambda a, r: f"search the tweets for {r('keyword')}",
                            noun=lambda a, r: f"the tweet containing {r('keyword')}", vague={"keyword": "a word"}),
    "posting_get_login_status": Action("TwitterAPI", lambda rng, tw, i: {},
                                       lambda a, r: "check whether I am logged in to Twitter"),
}


# -- tickets ----------------------------------------------------------------------------------------
def _ticket_ids(t, init, open_only=False) -> list[int]:
    initial = {q["id"] for q in init.get("ticket_queue", [])} | set(_created(init, "ticket_id"))
    return [q["id"] for q in t.ticket_queue if q["id"] in initial and (not open_only or q["status"] != "Closed")]


def _b_create(rng, t, init):
    topic = _pick(rng, ("Laptop overheating", "Cannot print", "Account locked", "Wi-Fi outage", "Refund request",
                        "Broken keyboard", "Software install", "Meeting room screen"))
    args: dict[str, Any] = {"title": topic}
    if rng.random() < 0.7:
        args["description"] = _sentence(rng).capitalize() + "."
    if rng.random() < 0.6:
        args["priority"] = int(rng.integers(1, 6))
    return args


def _say_create(a, r):
    text = f"open a support ticket titled {r('title')}"
    if "description" in a:
        text += f", described as {r('description')}"
    if "priority" in a:
        text += f", with priority {r('priority')}"
    return text


def _ticket_ref(r: Ref) -> str:
    value = r("ticket_id")
    return f"ticket {value}" if value[:1].isdigit() else value


def _b_ticket(open_only=False, extra=None):
    def bind(rng, t, init):
        ids = _ticket_ids(t, init, open_only)
        if not ids:
            return None
        args = {"ticket_id": _one(rng, ids)}
        if extra:
            args.update(extra(rng))
        return args
    return bind


def _edit_updates(rng):
    kind = _pick(rng, ("priority", "title", "status"))
    value = (int(rng.integers(1, 6)) if kind == "priority" else _pick(rng, ("In Progress", "Open")) if kind == "status"
             else _sentence(rng, 3).capitalize())
    return {"updates": {kind: value}}


TK: dict[str, Action] = {
    "create_ticket": Action("TicketAPI", _b_create, _say_create, noun=lambda a, r: "the ticket you just created",
                            vague={"title": "a suitable title"}),
    "get_ticket": Action("TicketAPI", _b_ticket(), lambda a, r: f"show me the details of {_ticket_ref(r)}"),
    "close_ticket": Action("TicketAPI", _b_ticket(True), lambda a, r: f"close {_ticket_ref(r)}"),
    "resolve_ticket": Action("TicketAPI", _b_ticket(True, lambda rng: {"resolution": _sentence(rng, 4).capitalize() + "."}),
                             lambda a, r: f"resolve {_ticket_ref(r)} with the resolution {r('resolution')}",
                             vague={"resolution": "a resolution note"}),
    "edit_ticket": Action("TicketAPI", _b_ticket(True, _edit_updates),
                          lambda a, r: "in {}, set the {} to {}".format(_ticket_ref(r), *next(iter(
                              (k, lit(v)) for k, v in a["updates"].items()))),
                          ),
    "get_user_tickets": Action("TicketAPI", lambda rng, t, i: {"status": _pick(rng, ("Open", "Closed", "In Progress"))}
                               if rng.random() < 0.6 else {},
                               lambda a, r: f"list my tickets with status {r('status')}" if "status" in a
                               else "list all my tickets"),
    "ticket_get_login_status": Action("TicketAPI", lambda rng, t, i: {},
                                      lambda a, r: "tell me who is logged in to the ticket system"),
}


# -- trading ----------------------------------------------------------------------------------------
_BY_SYMBOL = {v: k for k, v in COMPANIES.items()}


def _sym(rng, tb, pool=None):
    return _one(rng, [s for s in (pool if pool is not None else tb.stocks) if s in tb.stocks])


def _b_order(rng, tb, init):
    s = _sym(rng, tb)
    if s is None:
        return None
    price = tb.stocks[s]["price"] if rng.random() < 0.5 else float(round(tb.stocks[s]["price"] * 0.95, 1))
    return {"order_type": _pick(rng, ("Buy", "Sell")), "symbol": s, "price": price, "amount": int(rng.integers(1, 80))}


def _initial_orders(tb, init, active=False):
    ids = [int(k) for k in (init.get("orders") or {})] + _created(init, "order_id")
    return [i for i in ids if i in tb.orders and (not active or tb.orders[i]["status"] in ("Open", "Pending"))]


def _b_order_id(active=False):
    def bind(rng, tb, init):
        oid = _one(rng, _initial_orders(tb, init, active))
        return None if oid is None else {"order_id": oid}
    return bind


def _stock_ref(r: Ref, param: str) -> str:
    return r(param).strip("'")


def _numbered(r: Ref, param: str, thing: str) -> str:
    """``order 12345`` for a literal id, the source's noun phrase for a fed one."""
    value = r(param)
    return f"{thing} {value}" if value[:1].isdigit() or value[:1] in "-'" else value


def _money(r: Ref, param: str) -> str:
    value = r(param)
    return f"{value} dollars" if value[:1].isdigit() else value


TB: dict[str, Action] = {
    "get_symbol_by_name": Action("TradingBot", lambda rng, tb, i: (lambda s: None if s is None else {"name": _BY_SYMBOL[s]})(
        _sym(rng, tb, list(_BY_SYMBOL))), lambda a, r: f"look up the stock symbol of {a['name']}",
        noun=lambda a, r: f"{a['name']}'s stock", implicit=True),
    "get_stock_info": Action("TradingBot", lambda rng, tb, i: (lambda s: None if s is None else {"symbol": s})(_sym(rng, tb)),
                             lambda a, r: f"get the latest details of {_stock_ref(r, 'symbol')}",
                             noun=lambda a, r: f"the current price of {_stock_ref(r, 'symbol')}", implicit=True),
    "add_to_watchlist": Action("TradingBot", lambda rng, tb, i: (lambda s: None if s is None else {"stock": s})(
        _one(rng, [s for s in tb.stocks if s not in tb.watch_list])),
        lambda a, r: f"add {_stock_ref(r, 'stock')} to my watchlist", vague={"stock": "a stock"}),
    "remove_stock_from_watchlist": Action("TradingBot", lambda rng, tb, i: (lambda s: None if s is None else {"symbol": s})(
        _one(rng, tb.watch_list)), lambda a, r: f"remove {_stock_ref(r, 'symbol')} from my watchlist",
        vague={"symbol": "one of the stocks"}),
    "get_watchlist": Action("TradingBot", lambda rng, tb, i: {}, lambda a, r: "show me my watchlist"),
    "place_order": Action("TradingBot", _b_order, lambda a, r: f"place a {a['order_type'].lower()} order for "
                          f"{r('amount')} shares of {_stock_ref(r, 'symbol')} at {_money(r, 'price')} per share",
                          noun=lambda a, r: "the order you just placed", vague={"amount": "some", "price": "a good price"}),
    "get_order_details": Action("TradingBot", _b_order_id(), lambda a, r: f"show me the details of {_numbered(r, 'order_id', 'order')}"),
    "cancel_order": Action("TradingBot", _b_order_id(True), lambda a, r: f"cancel {_numbered(r, 'order_id', 'order')}"),
    "get_order_history": Action("TradingBot", lambda rng, tb, i: {}, lambda a, r: "list the IDs in my order history"),
    "get_account_info": Action("TradingBot", lambda rng, tb, i: {}, lambda a, r: "show me my trading account details",
                               noun=lambda a, r: "my trading account"),
    "fund_account": Action("TradingBot", lambda rng, tb, i: {"amount": float(int(rng.integers(1, 40)) * 250)},
                           lambda a, r: f"add {r('amount')} dollars to my trading account", vague={"amount": "some money"}),
    "make_transaction": Action("TradingBot", lambda rng, tb, i: {"account_id": tb.account_info["account_id"],
                                                                  "xact_type": _pick(rng, ("deposit", "withdrawal")),
                                                                  "amount": float(int(rng.integers(1, 20)) * 100)},
                               lambda a, r: f"make a {a['xact_type']} of {r('amount')} dollars "
                               f"{'into' if a['xact_type'] == 'deposit' else 'from'} {_numbered(r, 'account_id', 'account')}",
                               vague={"amount": "some money"}),
    "get_available_stocks": Action("TradingBot", lambda rng, tb, i: {"sector": _pick(rng, ("Technology", "Automobile"))},
                                   lambda a, r: f"list the stocks in the {a['sector']} sector"),
    "filter_stocks_by_price": Action("TradingBot", lambda rng, tb, i: (lambda lo: {
        "stocks": _pick(rng, list(tb.stocks), int(rng.integers(2, 5))), "min_price": lo,
        "max_price": lo + float(int(rng.integers(1, 8)) * 100)})(float(int(rng.integers(0, 5)) * 100)),
        lambda a, r: f"tell me which of {r('stocks')} cost between {r('min_price')} and {r('max_price')} dollars"),
    "get_current_time": Action("TradingBot", lambda rng, tb, i: {}, lambda a, r: "tell me the current market time"),
    "update_market_status": Action("TradingBot", lambda rng, tb, i: {
        "current_time_str": f"{int(rng.integers(8, 17)):02d}:{_pick(rng, ('00', '15', '30', '45'))} AM"},
        lambda a, r: f"update the market status for the time {r('current_time_str')}"),
    "notify_price_change": Action("TradingBot", lambda rng, tb, i: {
        "stocks": _pick(rng, list(tb.stocks), int(rng.integers(2, 4))), "threshold": float(int(rng.integers(1, 4)))},
        lambda a, r: f"tell me whether any of {r('stocks')} moved by at least {r('threshold')} percent"),
    "get_transaction_history": Action("TradingBot", lambda rng, tb, i: {},
                                      lambda a, r: "show me my account's transaction history"),
    "trading_get_login_status": Action("TradingBot", lambda rng, tb, i: {},
                                       lambda a, r: "check whether I am logged in to the trading system"),
}


# -- travel -----------------------------------------------------------------------------------------
_CLASSES = ("economy", "business", "first")
_AIRPORT_CITY = {v: k for k, v in CITIES_AIRPORT.items()}


@functools.cache
def flight_routes() -> tuple[tuple[str, str], ...]:
    """The airport pairs the official TravelAPI prices (probed once on a scratch instance)."""
    from coalm_env.domains.bfcl.runtime import backend_class

    api = backend_class("TravelAPI")()
    api._load_scenario({})
    airports = api.list_all_airports()
    routes = []
    for a in airports:
        for b in airports:
            if a == b:
                continue
            try:
                out = api.get_flight_cost(a, b, "2026-05-01", "economy")
            except Exception:
                continue
            if isinstance(out, dict) and out.get("travel_cost_list"):
                routes.append((a, b))
    return tuple(routes)


@functools.cache
def zip_pairs() -> tuple[tuple[str, str], ...]:
    """The zip-code pairs the official VehicleControlAPI knows distances for (probed once)."""
    from coalm_env.domains.bfcl.runtime import backend_class

    api = backend_class("VehicleControlAPI")()
    api._load_scenario({})
    zips = sorted(set(CITIES_ZIP.values()) | {"94704", "08540"})
    pairs = []
    for a in zips:
        for b in zips:
            if a < b:
                out = api.estimate_distance(a, b)
                if isinstance(out, dict) and "distance" in out and "error" not in out:
                    pairs.append((a, b))
    return tuple(pairs)


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _date(rng) -> str:
    return f"2026-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"


def _token(tr, init) -> str:
    return tr.access_token


def _card(rng, tr, init):
    initial = [c for c in [*(init.get("credit_card_list") or {}), *_created(init, "card_id")]
               if c in tr.credit_card_list]
    return _one(rng, initial)


def _booking(rng, tr, init):
    return _one(rng, [b for b in [*(init.get("booking_record") or {}), *_created(init, "booking_id")]
                      if b in tr.booking_record])


def _b_flight(rng, tr, init):
    card = _card(rng, tr, init)
    if card is None:
        return None
    a, b = _one(rng, flight_routes())
    return {"access_token": _token(tr, init), "card_id": card, "travel_date": _date(rng), "travel_from": a,
            "travel_to": b, "travel_class": _pick(rng, _CLASSES), **_token_meta(tr, init)}


def _airport(r: Ref, param: str) -> str:
    value = r(param)
    return value if not value.startswith("'") else f"{value} airport"


def _say_token(a: dict, r: Ref) -> str:
    value = r("access_token")
    if not value.startswith("'"):  # fed by this request's login
        return f"(use {value})"
    if a.get("_token_from_login"):  # a token an earlier turn's login returned: the user never saw it
        return "(use the access token from my earlier login)"
    return f"(my access token is {value})"


def _token_meta(tr, init) -> dict[str, Any]:
    return {"_token_from_login": True} if tr.access_token != init.get("access_token") else {}


def _with_token(bind):
    def wrapped(rng, tr, init):
        out = bind(rng, tr, init)
        if out is not None:
            out = {"access_token": _token(tr, init), **out, **_token_meta(tr, init)}
        return out
    return wrapped


TR: dict[str, Action] = {
    "authenticate_travel": Action("TravelAPI", lambda rng, tr, i: {
        "client_id": "cl_" + "".join(_pick(rng, "abcdef0123456789", 6, replace=True)),
        "client_secret": "sec_" + "".join(_pick(rng, "abcdef0123456789", 8, replace=True)),
        "refresh_token": "rf_" + "".join(_pick(rng, "abcdef0123456789", 8, replace=True)),
        "grant_type": _pick(rng, ("read_write", "read")),
        "user_first_name": tr.user_first_name or _pick(rng, FIRST_NAMES),
        "user_last_name": tr.user_last_name or "Smith"},
        lambda a, r: f"log in to the travel system as {a['user_first_name']} {a['user_last_name']} with client ID "
        f"{r('client_id')}, client secret {r('client_secret')}, refresh token {r('refresh_token')} and grant type "
        f"{r('grant_type')}", noun=lambda a, r: "the access token from that login", vague={"client_secret": "my secret"}),
    "book_flight": Action("TravelAPI", _b_flight, lambda a, r: f"book {_a(a['travel_class'])} class flight from "
                          f"{_airport(r, 'travel_from')} to {_airport(r, 'travel_to')} on {r('travel_date')}, paid "
                          f"with {_numbered(r, 'card_id', 'card')} {_say_token(a, r)}", noun=lambda a, r: "the booking you just made",
                          vague={"travel_date": "a date that suits me", "card_id": "one of my cards"}),
    "get_flight_cost": Action("TravelAPI", lambda rng, tr, i: (lambda ab: {
        "travel_from": ab[0], "travel_to": ab[1], "travel_date": _date(rng), "travel_class": _pick(rng, _CLASSES)})(
        _one(rng, flight_routes())), lambda a, r: f"tell me what {_a(a['travel_class'])} class flight from "
        f"{_airport(r, 'travel_from')} to {_airport(r, 'travel_to')} on {r('travel_date')} costs",
        vague={"travel_date": "a certain day"}),
    "get_nearest_airport_by_city": Action("TravelAPI", lambda rng, tr, i: {"location": _pick(rng, list(CITIES_AIRPORT))},
                                          lambda a, r: f"find the airport nearest to {a['location']}",
                                          noun=lambda a, r: f"the airport nearest to {a['location']}", implicit=True),
    "list_all_airports": Action("TravelAPI", lambda rng, tr, i: {}, lambda a, r: "list every airport you can book"),
    "cancel_booking": Action("TravelAPI", _with_token(lambda rng, tr, i: (lambda b: None if b is None else
                                                                           {"booking_id": b})(_booking(rng, tr, i))),
                             lambda a, r: f"cancel {_numbered(r, 'booking_id', 'booking')} {_say_token(a, r)}"),
    "purchase_insurance": Action("TravelAPI", _with_token(lambda rng, tr, i: (lambda b, c: None if b is None or c is None
                                 else {"insurance_type": _pick(rng, ("comprehensive", "basic")), "booking_id": b,
                                       "insurance_cost": float(int(rng.integers(2, 12)) * 25), "card_id": c})(
        _booking(rng, tr, i), _card(rng, tr, i))),
        lambda a, r: f"buy {a['insurance_type']} travel insurance for {_numbered(r, 'booking_id', 'booking')} at "
        f"{r('insurance_cost')} dollars, paid with {_numbered(r, 'card_id', 'card')} {_say_token(a, r)}",
        vague={"insurance_cost": "the usual price"}),
    "retrieve_invoice": Action("TravelAPI", _with_token(lambda rng, tr, i: (lambda b: None if b is None else
                                                                             {"booking_id": b})(_booking(rng, tr, i))),
                               lambda a, r: f"get me the invoice of {_numbered(r, 'booking_id', 'booking')} {_say_token(a, r)}"),
    "contact_customer_support": Action("TravelAPI", lambda rng, tr, i: (lambda b: None if b is None else {
        "booking_id": b, "message": _sentence(rng, 5).capitalize() + "?"})(_booking(rng, tr, i)),
        lambda a, r: f"ask customer support about {_numbered(r, 'booking_id', 'booking')}: {r('message')}",
        vague={"message": "my question"}),
    "get_credit_card_balance": Action("TravelAPI", _with_token(lambda rng, tr, i: (lambda c: None if c is None else
                                                                                    {"card_id": c})(_card(rng, tr, i))),
                                      lambda a, r: f"tell me the balance of {_numbered(r, 'card_id', 'card')} {_say_token(a, r)}"),
    "register_credit_card": Action("TravelAPI", _with_token(lambda rng, tr, i: {
        "card_number": "".join(str(int(d)) for d in rng.integers(0, 10, 16)),
        "expiration_date": f"{int(rng.integers(1, 13)):02d}/{int(rng.integers(2027, 2033))}",
        "cardholder_name": f"{tr.user_first_name} {tr.user_last_name}",
        "card_verification_number": int(rng.integers(100, 999))}),
        lambda a, r: f"register my card number {r('card_number')}, expiring {r('expiration_date')}, held by "
        f"{r('cardholder_name')}, security code {r('card_verification_number')} {_say_token(a, r)}",
        noun=lambda a, r: "the card you just registered", vague={"card_verification_number": "(which I still have to find)"}),
    "set_budget_limit": Action("TravelAPI", _with_token(lambda rng, tr, i: {
        "budget_limit": float(int(rng.integers(2, 40)) * 250)}),
        lambda a, r: f"set my travel budget limit to {r('budget_limit')} dollars {_say_token(a, r)}",
        vague={"budget_limit": "a new amount"}),
    "compute_exchange_rate": Action("TravelAPI", lambda rng, tr, i: {
        "base_currency": "USD", "target_currency": _pick(rng, ("EUR", "JPY", "GBP", "CAD", "AUD", "INR", "RMB")),
        "value": float(int(rng.integers(1, 60)) * 50)} if rng.random() < 0.6 else {
        "base_currency": _pick(rng, ("EUR", "GBP", "CAD")), "target_currency": "USD",
        "value": float(int(rng.integers(1, 60)) * 50)},
        lambda a, r: f"convert {r('value')} {a['base_currency']} into {a['target_currency']}",
        vague={"value": "an amount"}),
    "verify_traveler_information": Action("TravelAPI", lambda rng, tr, i: {
        "first_name": tr.user_first_name, "last_name": tr.user_last_name,
        "date_of_birth": f"{int(rng.integers(1950, 2004))}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}",
        "passport_number": "US" + "".join(str(int(d)) for d in rng.integers(0, 10, 7))},
        lambda a, r: f"verify my traveller details: {a['first_name']} {a['last_name']}, born {r('date_of_birth')}, "
        f"passport {r('passport_number')}", vague={"passport_number": "my passport"}),
    "get_all_credit_cards": Action("TravelAPI", lambda rng, tr, i: {}, lambda a, r: "list all my registered credit cards"),
    "travel_get_login_status": Action("TravelAPI", lambda rng, tr, i: {},
                                      lambda a, r: "check whether I am logged in to the travel system"),
    "get_budget_fiscal_year": Action("TravelAPI", lambda rng, tr, i: {}, lambda a, r: "tell me the budget fiscal year"),
}


# -- vehicle ----------------------------------------------------------------------------------------
def _door_words(a):
    return ", ".join(d.replace("_", " ") for d in a["door"])


def _zip(r: Ref, param: str) -> str:
    value = r(param)
    return f"zip code {value.strip(chr(39))}" if value.startswith("'") else value


_ZIP_CITY = {v: k for k, v in CITIES_ZIP.items()}

VC: dict[str, Action] = {
    "lockDoors": Action("VehicleControlAPI", lambda rng, v, i: {
        "unlock": bool(rng.random() < 0.3), "door": _pick(rng, DOORS, int(rng.integers(1, 5)))},
        lambda a, r: f"{'unlock' if a['unlock'] else 'lock'} the following doors: {_door_words(a)}"),
    "pressBrakePedal": Action("VehicleControlAPI", lambda rng, v, i: {"pedalPosition": _pick(rng, (1.0, 0.5, 0.8))},
                              lambda a, r: "press the brake pedal fully" if a["pedalPosition"] == 1.0
                              else f"press the brake pedal to position {r('pedalPosition')}"),
    "releaseBrakePedal": Action("VehicleControlAPI", lambda rng, v, i: {}, lambda a, r: "release the brake pedal"),
    "startEngine": Action("VehicleControlAPI", lambda rng, v, i: {"ignitionMode": "START"},
                          lambda a, r: "start the engine"),
    "fillFuelTank": Action("VehicleControlAPI", lambda rng, v, i: (lambda room: None if room < 1 else {
        "fuelAmount": float(int(rng.integers(1, max(2, int(room)))))})(50 - v.fuelLevel),
        lambda a, r: (lambda v: f"add {v} gallons of fuel to the tank" if v[:1].isdigit() else f"add {v} of fuel to the tank")(
            r("fuelAmount")), vague={"fuelAmount": "some"}),
    "setHeadlights": Action("VehicleControlAPI", lambda rng, v, i: {"mode": _pick(rng, ("on", "off"))},
                            lambda a, r: f"turn the headlights {a['mode']}"),
    "adjustClimateControl": Action("VehicleControlAPI", lambda rng, v, i: {
        "temperature": float(int(rng.integers(16, 30))),
        **({"unit": "celsius"} if rng.random() < 0.3 else {}),
        **({"fanSpeed": int(rng.integers(0, 11)) * 10} if rng.random() < 0.5 else {}),
        **({"mode": _pick(rng, ("auto", "cool", "heat", "defrost"))} if rng.random() < 0.4 else {})},
        lambda a, r: f"set the climate control to {r('temperature')} degrees"
        + (" celsius" if "unit" in a else "") + (f", fan speed {r('fanSpeed')}" if "fanSpeed" in a else "")
        + (f", in {a['mode']} mode" if "mode" in a else ""), vague={"temperature": "a comfortable temperature"}),
    "activateParkingBrake": Action("VehicleControlAPI", lambda rng, v, i: {"mode": _pick(rng, ("engage", "release"))},
                                   lambda a, r: f"{a['mode']} the parking brake"),
    "displayCarStatus": Action("VehicleControlAPI", lambda rng, v, i: {"option": _pick(rng, (
        "fuel", "battery", "doors", "climate", "headlights", "parkingBrake", "brakePedal", "engine"))},
        lambda a, r: f"show me the car's {human(a['option'])} status"),
    "check_tire_pressure": Action("VehicleControlAPI", lambda rng, v, i: {}, lambda a, r: "check the tyre pressure"),
    "find_nearest_tire_shop": Action("VehicleControlAPI", lambda rng, v, i: {},
                                     lambda a, r: "find the nearest tyre shop"),
    "get_current_speed": Action("VehicleControlAPI", lambda rng, v, i: {}, lambda a, r: "tell me the current speed"),
    "get_outside_temperature_from_google": Action("VehicleControlAPI", lambda rng, v, i: {},
                                                  lambda a, r: "get the outside temperature from Google"),
    "get_outside_temperature_from_weather_com": Action("VehicleControlAPI", lambda rng, v, i: {},
                                                       lambda a, r: "get the outside temperature from weather.com"),
    "set_navigation": Action("VehicleControlAPI", lambda rng, v, i: {
        "destination": f"{int(rng.integers(1, 999))} {_pick(rng, WORDS).capitalize()} Street, "
                       f"{_pick(rng, list(CITIES_ZIP))}"},
        lambda a, r: f"navigate to {r('destination')}", vague={"destination": "my destination"}),
    "get_zipcode_based_on_city": Action("VehicleControlAPI", lambda rng, v, i: {"city": _pick(rng, list(CITIES_ZIP))},
                                        lambda a, r: f"look up the zip code of {a['city']}",
                                        noun=lambda a, r: a["city"], implicit=True),
    "estimate_distance": Action("VehicleControlAPI", lambda rng, v, i: (lambda ab: {"cityA": ab[0], "cityB": ab[1]})(
        _one(rng, zip_pairs())), lambda a, r: f"estimate the distance between {_zip(r, 'cityA')} and {_zip(r, 'cityB')}",
        noun=lambda a, r: f"the distance between {_zip(r, 'cityA')} and {_zip(r, 'cityB')}"),
    "estimate_drive_feasibility_by_mileage": Action("VehicleControlAPI", lambda rng, v, i: {
        "distance": float(int(rng.integers(5, 80)) * 10)},
        lambda a, r: (lambda v: f"check whether I can drive {v} miles on the fuel I have" if v[:1].isdigit()
                      else f"check whether I can drive {v} on the fuel I have")(r("distance")),
        vague={"distance": "the length of my trip"}),
    "gallon_to_liter": Action("VehicleControlAPI", lambda rng, v, i: {"gallon": float(int(rng.integers(1, 30)))},
                              lambda a, r: f"convert {r('gallon')} gallons into liters",
                              noun=lambda a, r: f"{r('gallon')} gallons in liters"),
    "liter_to_gallon": Action("VehicleControlAPI", lambda rng, v, i: {"liter": float(int(rng.integers(4, 60)))},
                              lambda a, r: f"convert {r('liter')} liters into gallons",
                              noun=lambda a, r: f"the gallon equivalent of {r('liter')} liters", implicit=True),
}


# -- math -------------------------------------------------------------------------------------------
def _num(rng) -> float | int:
    return int(rng.integers(2, 200)) if rng.random() < 0.6 else round(float(rng.uniform(1, 500)), 2)


def _nums(rng) -> list:
    return [_num(rng) for _ in range(int(rng.integers(3, 7)))]


_UNITS_SI = ("km", "m", "cm", "mm")

MA: dict[str, Action] = {
    "add": Action("MathAPI", lambda rng, m, i: {"a": _num(rng), "b": _num(rng)}, lambda a, r: f"add {r('a')} and {r('b')}",
                  noun=lambda a, r: f"the sum of {r('a')} and {r('b')}", implicit=True, vague={"b": "the other number"}),
    "subtract": Action("MathAPI", lambda rng, m, i: {"a": _num(rng), "b": _num(rng)},
                       lambda a, r: f"subtract {r('b')} from {r('a')}", noun=lambda a, r: f"{r('a')} minus {r('b')}",
                       implicit=True, vague={"b": "a number"}),
    "multiply": Action("MathAPI", lambda rng, m, i: {"a": _num(rng), "b": _num(rng)},
                       lambda a, r: f"multiply {r('a')} by {r('b')}", noun=lambda a, r: f"the product of {r('a')} and {r('b')}",
                       implicit=True, vague={"b": "a factor"}),
    "divide": Action("MathAPI", lambda rng, m, i: {"a": _num(rng), "b": int(rng.integers(2, 20))},
                     lambda a, r: f"divide {r('a')} by {r('b')}", noun=lambda a, r: f"{r('a')} divided by {r('b')}",
                     implicit=True, vague={"b": "a number"}),
    "power": Action("MathAPI", lambda rng, m, i: {"base": _num(rng), "exponent": int(rng.integers(2, 4))},
                    lambda a, r: f"raise {r('base')} to the power of {r('exponent')}",
                    noun=lambda a, r: f"{r('base')} raised to the power of {r('exponent')}", implicit=True,
                    vague={"exponent": "some power"}),
    "square_root": Action("MathAPI", lambda rng, m, i: {"number": _num(rng), "precision": int(rng.integers(3, 8))},
                          lambda a, r: f"compute the square root of {r('number')} with a precision of "
                          f"{r('precision')} digits", vague={"precision": "enough digits"}),
    "absolute_value": Action("MathAPI", lambda rng, m, i: {"number": -_num(rng)},
                             lambda a, r: f"give me the absolute value of {r('number')}",
                             noun=lambda a, r: f"the absolute value of {r('number')}", implicit=True),
    "round_number": Action("MathAPI", lambda rng, m, i: {"number": round(float(rng.uniform(1, 500)), 4),
                                                          "decimal_places": int(rng.integers(0, 3))},
                           lambda a, r: f"round {r('number')} to {r('decimal_places')} decimal places",
                           noun=lambda a, r: f"{r('number')} rounded to {r('decimal_places')} decimal places",
                           implicit=True, vague={"decimal_places": "a few decimal places"}),
    "logarithm": Action("MathAPI", lambda rng, m, i: {"value": _num(rng), "base": _pick(rng, (2, 10, 3)),
                                                       "precision": int(rng.integers(3, 8))},
                        lambda a, r: f"compute the base-{r('base')} logarithm of {r('value')} with a precision of "
                        f"{r('precision')} digits", vague={"precision": "enough digits"}),
    "percentage": Action("MathAPI", lambda rng, m, i: (lambda w: {"part": round(w * float(rng.uniform(0.05, 0.95)), 1),
                                                                   "whole": w})(float(int(rng.integers(50, 2000)))),
                         lambda a, r: f"tell me what percentage {r('part')} is of {r('whole')}",
                         noun=lambda a, r: f"the percentage {r('part')} is of {r('whole')}", implicit=True,
                         vague={"whole": "the total"}),
    "mean": Action("MathAPI", lambda rng, m, i: {"numbers": _nums(rng)}, lambda a, r: f"compute the mean of {r('numbers')}",
                   noun=lambda a, r: f"the mean of {r('numbers')}", implicit=True),
    "max_value": Action("MathAPI", lambda rng, m, i: {"numbers": _nums(rng)},
                        lambda a, r: f"find the largest of {r('numbers')}", noun=lambda a, r: f"the largest of {r('numbers')}",
                        implicit=True),
    "min_value": Action("MathAPI", lambda rng, m, i: {"numbers": _nums(rng)},
                        lambda a, r: f"find the smallest of {r('numbers')}", noun=lambda a, r: f"the smallest of {r('numbers')}",
                        implicit=True),
    "sum_values": Action("MathAPI", lambda rng, m, i: {"numbers": _nums(rng)},
                         lambda a, r: f"add up {r('numbers')}", noun=lambda a, r: f"the total of {r('numbers')}", implicit=True),
    "standard_deviation": Action("MathAPI", lambda rng, m, i: {"numbers": _nums(rng)},
                                 lambda a, r: f"compute the standard deviation of {r('numbers')}",
                                 noun=lambda a, r: f"the standard deviation of {r('numbers')}", implicit=True),
    "si_unit_conversion": Action("MathAPI", lambda rng, m, i: (lambda u: {"value": _num(rng), "unit_in": u[0],
                                                                           "unit_out": u[1]})(_pick(rng, _UNITS_SI, 2)),
                                 lambda a, r: f"convert {r('value')} {a['unit_in']} into {a['unit_out']}",
                                 noun=lambda a, r: f"{r('value')} {a['unit_in']} in {a['unit_out']}", implicit=True),
}

#: creating function -> (id parameter of later calls, result field, how the user names it in a later turn);
#: an id a task created once in an earlier turn may be used again ("close the ticket you opened for me in
#: an earlier request"); a kind created twice is not offered (the words could not tell the two apart)
CREATORS: dict[str, tuple[str, str, str]] = {
    "create_ticket": ("ticket_id", "id", "the ticket you opened for me in an earlier request"),
    "post_tweet": ("tweet_id", "id", "the tweet you posted for me in an earlier request"),
    "place_order": ("order_id", "order_id", "the order you placed for me in an earlier request"),
    "book_flight": ("booking_id", "booking_id", "the flight you booked for me in an earlier request"),
    "register_credit_card": ("card_id", "card_id", "the card you registered for me in an earlier request"),
}

#: function name -> its :class:`Action` (the functions a generated request may ask for)
ACTIONS: dict[str, Action] = {**FS, **MSG, **TW, **TK, **TB, **TR, **VC, **MA}

_MATH_SOURCES = ("add", "subtract", "multiply", "divide", "power", "absolute_value", "round_number", "percentage",
                 "mean", "max_value", "min_value", "sum_values", "standard_deviation", "si_unit_conversion")
_MATH_TARGETS = (("add", "a"), ("subtract", "a"), ("multiply", "a"), ("divide", "a"), ("power", "base"),
                 ("square_root", "number"), ("absolute_value", "number"), ("round_number", "number"),
                 ("logarithm", "value"), ("percentage", "part"), ("si_unit_conversion", "value"))

#: the curated data edges (see the module docstring), all inside one class
EDGES: tuple[Dependency, ...] = (
    # messaging: a name looked up, or just added, is the receiver
    Dependency("get_user_id", "user_id", "send_message", "receiver_id"),
    Dependency("get_user_id", "user_id", "delete_message", "receiver_id"),
    Dependency("add_contact", "user_id", "send_message", "receiver_id"),
    # posting: the tweet just posted, or the one a search found
    *(Dependency("post_tweet", "id", t, "tweet_id") for t in ("comment", "retweet", "mention", "get_tweet")),
    *(Dependency("search_tweets", "matching_tweets[].id", t, "tweet_id") for t in ("comment", "retweet", "get_tweet")),
    # tickets: the ticket just created
    *(Dependency("create_ticket", "id", t, "ticket_id") for t in ("get_ticket", "edit_ticket", "close_ticket",
                                                                  "resolve_ticket")),
    # trading: symbol by company name, its price, the order just placed, the account id
    Dependency("get_symbol_by_name", "symbol", "get_stock_info", "symbol"),
    Dependency("get_symbol_by_name", "symbol", "place_order", "symbol"),
    Dependency("get_symbol_by_name", "symbol", "add_to_watchlist", "stock"),
    Dependency("get_stock_info", "price", "place_order", "price"),
    Dependency("place_order", "order_id", "get_order_details", "order_id"),
    Dependency("place_order", "order_id", "cancel_order", "order_id"),
    Dependency("get_account_info", "account_id", "make_transaction", "account_id"),
    # travel: the login's token, airports by city, the booking and card just made
    *(Dependency("authenticate_travel", "access_token", t, "access_token") for t in (
        "book_flight", "cancel_booking", "get_credit_card_balance", "register_credit_card", "set_budget_limit",
        "retrieve_invoice", "purchase_insurance")),
    *(Dependency("get_nearest_airport_by_city", "nearest_airport", t, p) for t in ("book_flight", "get_flight_cost")
      for p in ("travel_from", "travel_to")),
    *(Dependency("book_flight", "booking_id", t, "booking_id") for t in (
        "cancel_booking", "purchase_insurance", "retrieve_invoice", "contact_customer_support")),
    Dependency("register_credit_card", "card_id", "book_flight", "card_id"),
    Dependency("register_credit_card", "card_id", "get_credit_card_balance", "card_id"),
    # vehicle: zip codes by city, the distance, litres to gallons for the tank
    Dependency("get_zipcode_based_on_city", "zipcode", "estimate_distance", "cityA"),
    Dependency("get_zipcode_based_on_city", "zipcode", "estimate_distance", "cityB"),
    Dependency("estimate_distance", "distance", "estimate_drive_feasibility_by_mileage", "distance"),
    Dependency("liter_to_gallon", "gallon", "fillFuelTank", "fuelAmount"),
    # math: a result is the next operation's (first) operand
    *(Dependency(s, "result", t, p) for s in _MATH_SOURCES for t, p in _MATH_TARGETS if s != t),
)
