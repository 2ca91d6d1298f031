"""`shouwang serve` answers more open connections than it has threads: browsers
keep their connection open between pages, and a server that held one connection
per thread left every later user waiting (found by bench/load.py)."""

import os
import socket
import subprocess
import sys
import time

import pytest

REQUEST = b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answered(sock: socket.socket) -> bytes:
    sock.sendall(REQUEST)
    sock.settimeout(20)
    return sock.recv(64)


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "shouwang.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "SECRET_KEY": "test-only-secret-key-for-the-serve-test-0123456789",
        "DEBUG": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "shouwang", "serve", "--port", str(port),
         "--workers", "1", "--threads", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, "shouwang serve did not start"
                assert time.monotonic() < deadline, "shouwang serve did not listen in 60 s"
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_one_thread_server_answers_a_fourth_user_while_three_keep_their_connection(server):
    held = [socket.create_connection(("127.0.0.1", server), timeout=20) for _ in range(3)]
    try:
        for sock in held:
            assert _answered(sock).startswith(b"HTTP/1.1 ")
        with socket.create_connection(("127.0.0.1", server), timeout=20) as fourth:
            assert _answered(fourth).startswith(b"HTTP/1.1 ")
    finally:
        for sock in held:
            sock.close()
