"""Real processes for the ``openai`` backend tests: ``transformers serve`` on the tiny model, and a fault
proxy in front of it that delays requests or answers 429/500/garbage on a script, then forwards."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TransformersServe:
    """``transformers serve MODEL_DIR`` on 127.0.0.1 (CPU), up until :meth:`stop`."""

    def __init__(self, model_dir: Path, startup_s: float = 90.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(Path(model_dir) / "serve.log", "w")  # noqa: SIM115 - closed in stop()
        cli = Path(sys.executable).with_name("transformers")
        cmd = [str(cli), "serve", str(model_dir), "--host", "127.0.0.1", "--port", str(self.port),
               "--device", "cpu", "--log-level", "warning"]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"}
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self._wait(startup_s)

    def _wait(self, startup_s: float) -> None:
        deadline = time.monotonic() + startup_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"transformers serve exited with {self.proc.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"transformers serve did not come up in {startup_s}s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class FaultProxy:
    """A proxy whose next requests follow ``plan``: ``("delay", s)``, ``("status", code)``,
    ``("body", text)`` (a 200 with that body) or ``"ok"``; requests past the plan are forwarded."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.plan: list = []
        self.seen: list[dict] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next_action(self, body: bytes):
        with self._lock:
            self.seen.append(json.loads(body or b"{}"))
            return self.plan.pop(0) if self.plan else "ok"

    def forward(self, path: str, body: bytes) -> tuple[int, bytes]:
        req = urllib.request.Request(self.upstream + path, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.read()

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                action = proxy.next_action(body)
                if isinstance(action, tuple) and action[0] == "delay":
                    time.sleep(action[1])
                    action = "ok"
                if isinstance(action, tuple) and action[0] == "status":
                    return self._send(action[1], json.dumps({"error": {"message": "injected"}}).encode())
                if isinstance(action, tuple) and action[0] == "body":
                    return self._send(200, action[1].encode())
                self._send(*proxy.forward(self.path, body))

            def _send(self, code: int, payload: bytes) -> None:
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left, as the timeout test intends

        return Handler

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
