"""Seeded initial configs for the procedural BFCL tasks, in the shapes the benchmark's entries use.

Each ``make_config(cls, rng)`` builds a fresh ``initial_config[cls]`` from the scenario's generator
(nothing is copied from a test entry): the keys are the ones each official class's
``_load_scenario`` reads, with values drawn here:

- ``GorillaFileSystem``: ``{"root": {user: {"type": "directory", "contents": ...}}}``, a random tree
  of at most three levels under the user's home, files holding a few lines of words;
- ``MessageAPI``: ``user_map`` (4-7 names -> ``USR00k``), ``inbox`` (``[{receiver_id: text}]``),
  ``message_count``, ``current_user`` (logged in), ``user_count``;
- ``TwitterAPI``: ``username``/``password``, ``authenticated`` True, ``tweets`` (string ids, as in the
  benchmark's JSON), ``comments``, ``retweets``, ``following_list``, ``tweet_counter``;
- ``TicketAPI``: ``ticket_queue`` (tickets created by the user and by others), ``ticket_counter``,
  ``current_user``;
- ``TradingBot``: ``orders``, ``account_info``, ``authenticated`` True, ``market_status``,
  ``order_counter``, ``stocks`` (a subset of the class's symbols with new prices), ``watch_list``,
  ``transaction_history``;
- ``TravelAPI``: ``credit_card_list``, ``booking_record``, a logged-in token
  (``access_token``/``token_type``/``token_expires_in``/``token_scope``), the user's name,
  ``budget_limit``, ``random_seed``;
- ``VehicleControlAPI``: fuel, battery, doors, climate, brakes, tyre pressures, ``random_seed``;
- ``MathAPI``: stateless (no config, as in the benchmark).

The vocabularies below (company names, cities, airports) are the inputs the official backends know
(their lookup tables), listed so that generated requests name things the backends can answer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["make_config", "FIRST_NAMES", "WORDS", "COMPANIES", "CITIES_AIRPORT", "CITIES_ZIP", "DOORS",
           "STOCK_SYMBOLS"]

FIRST_NAMES = ("Alice", "Bob", "Catherine", "Daniel", "Eve", "Farah", "George", "Hana", "Ivan", "Julia",
               "Kenji", "Laura", "Marco", "Nina", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tara",
               "Umar", "Vera", "Wes", "Xenia", "Yusuf", "Zoe")
LAST_NAMES = ("Smith", "Garcia", "Chen", "Okafor", "Novak", "Rossi", "Kim", "Patel", "Lopez", "Moreau",
              "Schmidt", "Tanaka", "Silva", "Walker", "Ivanova", "Haddad")
WORDS = ("alpha", "budget", "report", "draft", "summary", "meeting", "project", "photo", "backup", "notes",
         "invoice", "travel", "recipe", "garden", "music", "server", "config", "archive", "research",
         "client", "launch", "quarter", "design", "review", "schedule", "contract", "lecture", "survey",
         "sprint", "roadmap", "poster", "figure", "dataset", "script", "chapter", "letter", "plan")
EXTS = (".txt", ".md", ".csv", ".log", ".py", ".json")
# get_symbol_by_name's table (the company names it knows) and the symbols TradingBot can hold
COMPANIES = {"Apple": "AAPL", "Google": "GOOG", "Tesla": "TSLA", "Microsoft": "MSFT", "Nvidia": "NVDA",
             "Zeta Corp": "ZETA", "Alpha Tech": "ALPH", "Omega Industries": "OMEG", "Quasar Ltd.": "QUAS",
             "Neptune Systems": "NEPT", "Synex Solutions": "SYNX"}
STOCK_SYMBOLS = tuple(COMPANIES.values())
# get_nearest_airport_by_city's table
CITIES_AIRPORT = {"Rivermist": "RMS", "Stonebrook": "SBK", "Maplecrest": "MPC", "Silverpine": "SVP",
                  "Shadowridge": "SHD", "London": "LHR", "Paris": "CDG", "Sunset Valley": "SSV",
                  "Oakendale": "OKD", "Willowbend": "WLB", "Crescent Hollow": "CRH", "Autumnville": "ATV",
                  "Pinehaven": "PHV", "Greenfield": "GFD", "San Francisco": "SFO", "Los Angeles": "LAX",
                  "New York": "JFK", "Chicago": "ORD", "Boston": "BOS", "Beijing": "PEK",
                  "Hong Kong": "HKG", "Rome": "CIA", "Tokyo": "HND"}
# get_zipcode_based_on_city's table
CITIES_ZIP = {"Rivermist": "83214", "Stonebrook": "74532", "Maplecrest": "56108", "Silverpine": "62947",
              "Shadowridge": "71354", "Sunset Valley": "83462", "Oakendale": "47329", "Willowbend": "52013",
              "Crescent Hollow": "69238", "Autumnville": "51479", "San Francisco": "94016"}
DOORS = ("driver", "passenger", "rear_left", "rear_right")
TAGS = ("#tech", "#travel", "#food", "#news", "#music", "#science", "#art", "#sports", "#ai", "#books")
TICKET_TOPICS = ("login failure", "printer jam", "VPN drops", "slow laptop", "email sync", "broken monitor",
                 "license renewal", "password reset", "disk full", "missing invoice", "server alert")


def _pick(rng: np.random.Generator, seq, k: int | None = None, replace: bool = False):
    seq = list(seq)
    if k is None:
        return seq[int(rng.integers(len(seq)))]
    idx = rng.choice(len(seq), size=min(k, len(seq)), replace=replace)
    return [seq[int(i)] for i in idx]


def _sentence(rng: np.random.Generator, n: int | None = None) -> str:
    n = int(rng.integers(3, 8)) if n is None else n
    return " ".join(_pick(rng, WORDS, n, replace=True))


def _file_content(rng: np.random.Generator) -> str:
    return "\n".join(_sentence(rng) for _ in range(int(rng.integers(1, 5))))


def _files(rng: np.random.Generator, n: int, taken: set[str]) -> dict[str, Any]:
    out = {}
    for _ in range(n):
        name = f"{_pick(rng, WORDS)}{'_' + str(int(rng.integers(1, 9))) if rng.random() < 0.3 else ''}{_pick(rng, EXTS)}"
        if name not in taken:
            taken.add(name)
            out[name] = {"type": "file", "content": _file_content(rng)}
    return out


def _directory(rng: np.random.Generator, depth: int, taken: set[str]) -> dict[str, Any]:
    contents = _files(rng, int(rng.integers(1, 4)), taken)
    if depth > 0:
        for _ in range(int(rng.integers(0, 3))):
            name = _pick(rng, WORDS) + ("s" if rng.random() < 0.5 else "")
            if name not in taken:
                taken.add(name)
                contents[name] = _directory(rng, depth - 1, taken)
    return {"type": "directory", "contents": contents}


def _file_system(rng: np.random.Generator) -> dict[str, Any]:
    user = _pick(rng, FIRST_NAMES).lower()
    taken: set[str] = {user}
    home = _directory(rng, 2, taken)
    for _ in range(int(rng.integers(1, 3))):  # at least one sub-folder at the top
        name = _pick(rng, WORDS) + "_dir"
        if name not in taken:
            taken.add(name)
            home["contents"][name] = _directory(rng, 1, taken)
    return {"root": {user: home}}


def _message(rng: np.random.Generator) -> dict[str, Any]:
    names = _pick(rng, FIRST_NAMES, int(rng.integers(4, 8)))
    user_map = {n: f"USR{i + 1:03d}" for i, n in enumerate(names)}
    ids = list(user_map.values())
    me = ids[0]
    inbox = [{_pick(rng, ids[1:]): _sentence(rng).capitalize() + "."} for _ in range(int(rng.integers(1, 5)))]
    return {"user_count": len(user_map), "user_map": user_map, "inbox": inbox,
            "message_count": len(inbox), "current_user": me}


def _twitter(rng: np.random.Generator) -> dict[str, Any]:
    me = _pick(rng, FIRST_NAMES).lower() + "_" + _pick(rng, WORDS)
    others = [n.lower() for n in _pick(rng, FIRST_NAMES, 4)]
    tweets = {}
    for i in range(int(rng.integers(2, 6))):
        author = me if rng.random() < 0.5 else _pick(rng, others)
        tweets[str(i)] = {"id": i, "username": author, "content": _sentence(rng).capitalize() + "!",
                          "tags": _pick(rng, TAGS, int(rng.integers(0, 3))),
                          "mentions": [f"@{m}" for m in _pick(rng, others, int(rng.integers(0, 2)))]}
    return {"username": me, "password": _pick(rng, WORDS) + str(int(rng.integers(100, 999))),
            "authenticated": True, "tweets": tweets, "comments": {}, "retweets": {},
            "following_list": _pick(rng, others, int(rng.integers(1, 4))), "tweet_counter": len(tweets)}


def _ticket(rng: np.random.Generator) -> dict[str, Any]:
    me = _pick(rng, FIRST_NAMES)
    others = [n for n in FIRST_NAMES if n != me]
    queue = []
    base = int(rng.integers(1, 900))
    for i in range(int(rng.integers(1, 5))):
        topic = _pick(rng, TICKET_TOPICS)
        queue.append({"id": base + i, "title": topic.capitalize(), "description": f"{topic}: {_sentence(rng)}",
                      "status": _pick(rng, ("Open", "Open", "In Progress", "Closed")),
                      "priority": int(rng.integers(1, 6)),
                      "created_by": me if rng.random() < 0.7 else _pick(rng, others)})
    return {"ticket_queue": queue, "ticket_counter": base + len(queue), "current_user": me}


def _trading(rng: np.random.Generator) -> dict[str, Any]:
    symbols = _pick(rng, STOCK_SYMBOLS, int(rng.integers(5, len(STOCK_SYMBOLS) + 1)))
    stocks = {}
    for s in symbols:
        price = round(float(rng.uniform(15, 900)), 2)
        stocks[s] = {"price": price, "percent_change": round(float(rng.uniform(-3, 3)), 2),
                     "volume": round(float(rng.uniform(0.3, 4)), 3),
                     "MA(5)": round(price * float(rng.uniform(0.97, 1.03)), 2),
                     "MA(20)": round(price * float(rng.uniform(0.95, 1.05)), 2)}
    counter = int(rng.integers(10000, 99000))
    orders = {}
    for i in range(int(rng.integers(1, 4))):
        s = _pick(rng, symbols)
        oid = counter + i
        orders[str(oid)] = {"id": oid, "order_type": _pick(rng, ("Buy", "Sell")), "symbol": s,
                            "price": stocks[s]["price"], "amount": int(rng.integers(1, 60)),
                            "status": _pick(rng, ("Completed", "Pending", "Open"))}
    return {"orders": orders,
            "account_info": {"account_id": int(rng.integers(10000, 99999)),
                             "balance": round(float(rng.uniform(2000, 60000)), 2),
                             "binding_card": int(rng.integers(10**15, 10**16 - 1))},
            "authenticated": True, "market_status": _pick(rng, ("Open", "Closed")),
            "order_counter": counter + len(orders), "stocks": stocks,
            "watch_list": _pick(rng, symbols, int(rng.integers(1, 4))), "transaction_history": [],
            "random_seed": int(rng.integers(1, 10**7))}


def _card_number(rng: np.random.Generator) -> str:
    return "".join(str(int(d)) for d in rng.integers(0, 10, 16))


def _travel(rng: np.random.Generator) -> dict[str, Any]:
    first, last = _pick(rng, FIRST_NAMES), _pick(rng, LAST_NAMES)
    cards = {}
    for _ in range(int(rng.integers(1, 3))):
        cid = str(int(rng.integers(1000, 9999)))
        cards[cid] = {"card_number": _card_number(rng),
                      "expiration_date": f"{int(rng.integers(1, 13)):02d}/{int(rng.integers(2027, 2033))}",
                      "cardholder_name": f"{first} {last}",
                      "card_verification_number": int(rng.integers(100, 999)),
                      "balance": float(int(rng.integers(2000, 40000)))}
    return {"random_seed": int(rng.integers(1, 10**6)), "credit_card_list": cards, "booking_record": {},
            "access_token": "".join(_pick(rng, "abcdefghjkmnpqrstuvwxyz23456789", 8, replace=True)),
            "token_type": "Bearer", "token_expires_in": 3600, "token_scope": "read_write",
            "user_first_name": first, "user_last_name": last,
            "budget_limit": float(int(rng.integers(2, 40)) * 500)}


def _vehicle(rng: np.random.Generator) -> dict[str, Any]:
    doors = {d: _pick(rng, ("locked", "unlocked")) for d in DOORS}
    return {"random_seed": int(rng.integers(1, 10**6)), "fuelLevel": round(float(rng.uniform(2, 40)), 1),
            "batteryVoltage": round(float(rng.uniform(11.8, 13.2)), 1), "engineState": "stopped",
            "doorStatus": doors, "acTemperature": float(int(rng.integers(16, 28))),
            "fanSpeed": int(rng.integers(0, 11)) * 10, "acMode": _pick(rng, ("auto", "cool", "heat")),
            "humidityLevel": float(int(rng.integers(30, 70))), "headLightStatus": _pick(rng, ("on", "off")),
            "parkingBrakeStatus": _pick(rng, ("engaged", "released")), "brakePedalStatus": "released",
            "distanceToNextVehicle": float(int(rng.integers(20, 120))), "cruiseStatus": "inactive",
            "destination": "None",
            **{k: float(int(rng.integers(28, 36))) for k in ("frontLeftTirePressure", "frontRightTirePressure",
                                                               "rearLeftTirePressure", "rearRightTirePressure")}}


_MAKERS = {"GorillaFileSystem": _file_system, "MessageAPI": _message, "TwitterAPI": _twitter,
           "TicketAPI": _ticket, "TradingBot": _trading, "TravelAPI": _travel, "VehicleControlAPI": _vehicle}


def make_config(cls: str, rng: np.random.Generator) -> dict[str, Any] | None:
    """A new ``initial_config[cls]`` drawn from ``rng`` (``None`` for the stateless MathAPI)."""
    maker = _MAKERS.get(cls)
    return None if maker is None else maker(rng)
