"""Smart home, hotel, stocks and small utilities: scenes, timed switches, music, hotel booking,
stock prices, e-mail, today's date, a calculator and "today in history".

Tables: ``Scenes`` (scene name -> devices), ``TimeSwitch`` (device -> switches), ``Hotel``
(order id -> booking), ``Email`` (sent mail; starts empty). Stocks and history are read-only.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import operator
from typing import Any

from coalm_env.backend.store import StoreView
from coalm_env.domains.apibank.resources import reference
from coalm_env.domains.apibank.schema import DATE_FORMAT, check_time, fail

__all__ = ["HANDLERS", "TODAY", "calculate"]

#: the date GetToday answers in every recorded dialogue
TODAY = "2023-03-31"


# -- scenes -----------------------------------------------------------------------------------
def _scene_key(state: StoreView, name: str) -> str | None:
    wanted = " ".join(str(name).lower().split())
    return next((k for k, _ in state.scan("Scenes") if " ".join(k.lower().split()) == wanted), None)


def _devices(devices: Any) -> list[dict[str, Any]]:
    if not isinstance(devices, list) or not devices:
        raise fail("Invalid device format.", "invalid_arguments")
    out = [d if isinstance(d, dict) else {"name": str(d)} for d in devices]
    if any("name" not in d for d in out):
        raise fail("Invalid device format.", "invalid_arguments")
    return out


def add_scene(state: StoreView, name: str, devices: list) -> str:
    if not str(name).strip():
        raise fail("Scene name cannot be empty.", "invalid_arguments")
    if _scene_key(state, name) is not None:
        raise fail("Scene name already exists.", "conflict")
    state.put("Scenes", str(name).strip(), {"devices": _devices(devices)})
    return "success"


def _existing_scene(state: StoreView, name: str) -> str:
    if not str(name).strip():
        raise fail("Scene name cannot be empty.", "invalid_arguments")
    key = _scene_key(state, name)
    if key is None:
        raise fail("Scene not found.", "not_found")
    return key


def delete_scene(state: StoreView, name: str) -> str:
    state.delete("Scenes", _existing_scene(state, name))
    return "success"


def modify_scene(state: StoreView, name: str, devices: list) -> str:
    state.put("Scenes", _existing_scene(state, name), {"devices": _devices(devices)})
    return "success"


def query_scene(state: StoreView, name: str) -> list:
    return [dict(d) for d in state.get("Scenes", _existing_scene(state, name))["devices"]]


# -- timed switches ------------------------------------------------------------------------------
def _device(name: str | None, device_id: str | None) -> str:
    device = str(name if name is not None else device_id or "").strip()
    if not device:
        raise fail("name cannot be empty.", "invalid_arguments")
    return device


def timed_switch(state: StoreView, time: str, on: bool, name: str | None = None, device_id: str | None = None) -> str:
    device = _device(name, device_id)
    time = check_time(time)
    record = state.get("TimeSwitch", device)
    switches = list(record["switches"]) if record else []
    state.put("TimeSwitch", device, {"switches": [*switches, {"time": time, "on": bool(on)}]})
    return "success"


def cancel_timed_switch(state: StoreView, time: str, name: str | None = None, device_id: str | None = None) -> str:
    device = _device(name, device_id)
    time = check_time(time)
    record = state.get("TimeSwitch", device)
    if record is None and device_id is not None:  # dataset ids are not in the DB: the switch at that time
        owners = [k for k, r in state.scan("TimeSwitch") if any(s["time"] == time for s in r["switches"])]
        device, record = (owners[0], state.get("TimeSwitch", owners[0])) if len(owners) == 1 else (device, None)
    if record is None:
        raise fail("device name does not exist.", "not_found")
    kept = [s for s in record["switches"] if s["time"] != time]
    if len(kept) == len(record["switches"]):
        raise fail("time does not exist.", "not_found")
    state.put("TimeSwitch", device, {"switches": kept})
    return "success"


# -- misc ------------------------------------------------------------------------------------------
def play_music(state: StoreView, music_name: str) -> str:
    if not str(music_name).strip():
        raise fail("The music name cannot be empty.", "invalid_arguments")
    return "music://" + str(music_name).strip().lower()


def book_hotel(state: StoreView, hotel_name: str, check_in_time: str, check_out_time: str,
               room_count: int, adult_count: int, child_count: int) -> str:
    check_in = check_time(check_in_time, DATE_FORMAT, "check_in_time")
    check_out = check_time(check_out_time, DATE_FORMAT, "check_out_time")
    if check_out <= check_in:
        raise fail("The check-out time must be after the check-in time.", "invalid_arguments")
    order_id = str(state.count("Hotel") + 1)
    state.put("Hotel", order_id, {"hotel_name": hotel_name, "check_in_time": check_in, "check_out_time": check_out,
                                  "room_count": room_count, "adult_count": adult_count, "child_count": child_count})
    return order_id


def query_stock(state: StoreView, stock_code: str, date: str) -> float:
    code = str(stock_code).strip().upper()
    if not code:
        raise fail("The stock code cannot be empty.", "invalid_arguments")
    prices = reference()["Stock"].get(code)
    if prices is None:
        raise fail("The stock code does not exist.", "not_found")
    date = check_time(date, DATE_FORMAT, "date")
    if date not in prices:
        raise fail("The stock price of this date is not maintained.", "not_found")
    return prices[date]


def send_email(state: StoreView, receiver: str, subject: str, content: str) -> str:
    if "@" not in str(receiver):
        raise fail("The receiver must be an e-mail address.", "invalid_arguments")
    key = str(state.count("Email") + 1)
    state.put("Email", key, {"receiver": receiver, "subject": subject, "content": content})
    return "success"


def get_today(state: StoreView) -> str:
    return TODAY


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Mod: operator.mod, ast.FloorDiv: operator.floordiv, ast.Pow: operator.pow}


def _arith(node: ast.expr) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _arith(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _arith(node.left), _arith(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise fail("The exponent is too large.", "invalid_arguments")
        return float(_OPS[type(node.op)](left, right))
    raise fail("The formula may only use numbers, + - * / % ** and parentheses.", "invalid_arguments")


def calculate(formula: str) -> float:
    """The value of an arithmetic formula (parsed with :mod:`ast`, never evaluated as code)."""
    text = str(formula).replace("×", "*").replace("÷", "/").replace("^", "**").strip()
    if not text or len(text) > 500:
        raise fail("The formula must be a non-empty expression of at most 500 characters.", "invalid_arguments")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise fail("The formula is not valid.", "invalid_arguments") from None
    try:
        value = round(_arith(tree.body), 10)
    except ZeroDivisionError:
        raise fail("Division by zero.", "invalid_arguments") from None
    except OverflowError:  # e.g. 1e300**2
        raise fail("The result is too large.", "invalid_arguments") from None
    if not math.isfinite(value):  # e.g. 1e300*1e300
        raise fail("The result is too large.", "invalid_arguments")
    return value


def calculator(state: StoreView, formula: str) -> float:
    return calculate(formula)


def _month_day(date: str) -> str:
    text = str(date).strip()
    for fmt in ("%m-%d", DATE_FORMAT, "%Y-%m-%d %H:%M:%S", "%m/%d"):
        try:
            return dt.datetime.strptime(text, fmt).strftime("%m-%d")
        except ValueError:
            continue
    raise fail(f"The date {date!r} does not match format '%m-%d'.", "invalid_arguments")


def query_history_today(state: StoreView, date: str) -> list:
    events = reference()["History"].get(_month_day(date))
    if events is None:
        raise fail("The date is not in the database.", "not_found")
    return [f"Title: {e['Title'].strip()}, Date: {e['Date'].strip()}, Description: {e['Description'].strip()}"
            for e in events]


HANDLERS = {
    "AddScene": (add_scene, True), "DeleteScene": (delete_scene, True),
    "ModifyScene": (modify_scene, True), "QueryScene": (query_scene, False),
    "TimedSwitch": (timed_switch, True), "CancelTimedSwitch": (cancel_timed_switch, True),
    "PlayMusic": (play_music, False), "BookHotel": (book_hotel, True), "QueryStock": (query_stock, False),
    "SendEmail": (send_email, True), "GetToday": (get_today, False), "Calculator": (calculator, False),
    "QueryHistoryToday": (query_history_today, False),
}
