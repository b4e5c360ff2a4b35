"""The lean load generator against a tiny real HTTP/1.1 server running in a thread.

The server is hand-written on asyncio streams so that each test can make it
misbehave exactly as needed (close idle connections, never answer, answer
garbage, serve one request at a time).
"""

import asyncio
import threading
import time
from collections import Counter

import pytest

from loadtests.httpload import (
    Connection,
    ConnectionClosed,
    LoadResult,
    MalformedResponse,
    Request,
    RequestTimeout,
    run_closed_loop,
    run_closed_loop_sync,
    run_open_loop,
    run_open_loop_sync,
)

pytestmark = pytest.mark.timeout(10)

SERVICE_TIME_OF_SERIAL_S = 0.05


class MisbehavingServer:
    """Minimal HTTP/1.1 keep-alive server; the request path picks the behaviour.

    /echo          200, echoes method, the x-test header and the body
    /chunked       200, body sent in chunks with an extension and a trailer
    /idle-close    200, then closes the connection once it has been idle 50 ms
    /drop-second   answers the first request of a connection; closes it on the next
    /drop          closes the connection without answering
    /hang          never answers
    /garbage       answers with something that is not HTTP
    /serial        200 after 50 ms, one request at a time across all connections
    """

    def __init__(self) -> None:
        self.port = 0
        self.requests_seen: Counter[str] = Counter()
        self.connections_accepted = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("test server did not start")

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._serial = asyncio.Lock()
        self._writers: set[asyncio.StreamWriter] = set()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()
            for writer in self._writers:
                writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_accepted += 1
        self._writers.add(writer)
        try:
            await self._serve_connection(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        idle_timeout = None
        for request_number in range(1, 1_000_000):
            async with asyncio.timeout(idle_timeout):
                head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")[:-2]
            method, path, _ = request_line.split(" ")
            headers = dict(line.lower().split(": ", 1) for line in header_lines)
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests_seen[path] += 1
            if path == "/echo":
                writer.write(response(200, body, {"X-Method": method, **_echoed(headers)}))
            elif path == "/chunked":
                writer.write(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"7;ext=1\r\nhello, \r\n8\r\nchunked \r\n5\r\nworld\r\n"
                    b"0\r\nX-Trailer: t\r\n\r\n"
                )
            elif path == "/idle-close":
                idle_timeout = 0.05
                writer.write(response(200, b"bye soon"))
            elif path == "/drop-second":
                if request_number > 1:
                    return
                writer.write(response(200, b"first"))
            elif path == "/drop":
                return
            elif path == "/hang":
                await reader.read()
                return
            elif path == "/garbage":
                writer.write(b"SPDY/9 totally\r\n\r\n")
            elif path == "/serial":
                async with self._serial:
                    await asyncio.sleep(SERVICE_TIME_OF_SERIAL_S)
                writer.write(response(200, b"served"))
            else:
                writer.write(response(404, b""))
            await writer.drain()


def response(status: int, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    head = [f"HTTP/1.1 {status} Whatever", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _echoed(headers: dict[str, str]) -> dict[str, str]:
    return {"X-Test": headers["x-test"]} if "x-test" in headers else {}


@pytest.fixture
def server():
    running = MisbehavingServer()
    running.start()
    try:
        yield running
    finally:
        running.stop()


async def send_once(port: int, request: Request, timeout: float = 5.0):
    connection = await Connection.open("127.0.0.1", port)
    try:
        return await connection.send(request, timeout)
    finally:
        await connection.close()


def test_a_get_round_trips_status_headers_and_body(server):
    reply = asyncio.run(send_once(server.port, Request("GET", "/echo", {"X-Test": "yes"})))

    assert reply.status == 200
    assert reply.headers["x-method"] == "GET"
    assert reply.headers["x-test"] == "yes"
    assert reply.headers["content-length"] == "0"
    assert reply.body == b""


def test_a_post_body_reaches_the_server_and_comes_back(server):
    body = b'{"sku": "A-1", "qty": 2}' * 1000

    reply = asyncio.run(send_once(server.port, Request("POST", "/echo", body=body)))

    assert (reply.status, reply.headers["x-method"], reply.body) == (200, "POST", body)


def test_an_unknown_path_gives_its_status_not_an_error(server):
    reply = asyncio.run(send_once(server.port, Request("GET", "/nowhere")))

    assert reply.status == 404


def test_a_chunked_response_is_decoded(server):
    reply = asyncio.run(send_once(server.port, Request("GET", "/chunked")))

    assert reply.body == b"hello, chunked world"


def test_one_connection_carries_many_requests(server):
    async def scenario():
        connection = await Connection.open("127.0.0.1", server.port)
        try:
            return [(await connection.send(Request("GET", "/echo"))).status for _ in range(20)]
        finally:
            await connection.close()

    assert asyncio.run(scenario()) == [200] * 20
    assert server.connections_accepted == 1


def test_a_connection_the_server_closed_while_idle_reconnects_on_the_next_send(server):
    async def scenario():
        connection = await Connection.open("127.0.0.1", server.port)
        try:
            await connection.send(Request("GET", "/idle-close"))
            await asyncio.sleep(0.2)
            return await connection.send(Request("GET", "/idle-close"))
        finally:
            await connection.close()

    assert asyncio.run(scenario()).body == b"bye soon"
    assert server.connections_accepted == 2


def test_a_request_the_server_dropped_unanswered_on_a_reused_connection_is_retried_once(server):
    async def scenario():
        connection = await Connection.open("127.0.0.1", server.port)
        try:
            await connection.send(Request("GET", "/drop-second"))
            return await connection.send(Request("GET", "/drop-second"))
        finally:
            await connection.close()

    assert asyncio.run(scenario()).body == b"first"
    assert server.requests_seen["/drop-second"] == 3
    assert server.connections_accepted == 2


def test_a_fresh_connection_closed_without_an_answer_is_not_retried(server):
    with pytest.raises(ConnectionClosed, match="without answering"):
        asyncio.run(send_once(server.port, Request("GET", "/drop")))

    assert server.requests_seen["/drop"] == 1


def test_a_reused_connection_is_retried_only_once(server):
    async def scenario():
        connection = await Connection.open("127.0.0.1", server.port)
        try:
            await connection.send(Request("GET", "/echo"))
            await connection.send(Request("GET", "/drop"))
        finally:
            await connection.close()

    with pytest.raises(ConnectionClosed):
        asyncio.run(scenario())
    assert server.requests_seen["/drop"] == 2


def test_a_server_that_never_answers_raises_a_timeout(server):
    started = time.perf_counter()

    with pytest.raises(RequestTimeout, match="within 0.2 s"):
        asyncio.run(send_once(server.port, Request("GET", "/hang"), timeout=0.2))

    assert time.perf_counter() - started < 2


def test_a_response_that_is_not_http_raises_malformed_response(server):
    with pytest.raises(MalformedResponse, match="status line"):
        asyncio.run(send_once(server.port, Request("GET", "/garbage")))


def test_headers_that_frame_the_message_belong_to_the_client():
    unconnected = Connection("127.0.0.1", 1)

    with pytest.raises(ValueError, match="Content-Length"):
        asyncio.run(unconnected.send(Request("GET", "/", {"Content-Length": "3"})))


def test_the_closed_loop_records_plausible_counts_and_latencies_within_its_window(server):
    started = time.perf_counter()

    result = run_closed_loop_sync(
        "127.0.0.1", server.port, lambda seq: Request("GET", "/echo"), 4, 0.5, warmup_s=0.2
    )

    wall_time = time.perf_counter() - started
    # Event loop timers may fire up to a millisecond early.
    assert 0.49 <= result.duration_s < 0.7
    assert wall_time < 1.5
    assert len(result.latencies_s) > 200
    assert result.statuses == Counter({200: len(result.latencies_s)})
    assert not result.errors
    assert 0 < result.percentile(50) <= result.percentile(99) < result.duration_s
    assert result.throughput() == len(result.latencies_s) / result.duration_s
    # Warm-up requests reached the server but were not recorded.
    assert server.requests_seen["/echo"] > len(result.latencies_s)


def test_every_request_of_the_closed_loop_gets_its_own_seq(server):
    seen: list[int] = []

    def make_request(seq: int) -> Request:
        seen.append(seq)
        return Request("POST", "/echo", {"Idempotency-Key": f"order-{seq}"}, b"{}")

    asyncio.run(run_closed_loop("127.0.0.1", server.port, make_request, 4, 0.3))

    assert len(seen) > 20
    assert sorted(seen) == list(range(len(seen)))


def test_the_closed_loop_counts_a_server_that_never_answers_as_timeouts_not_a_hang(server):
    started = time.perf_counter()

    result = asyncio.run(
        run_closed_loop(
            "127.0.0.1",
            server.port,
            lambda seq: Request("GET", "/hang"),
            2,
            0.5,
            request_timeout_s=0.2,
        )
    )

    assert time.perf_counter() - started < 1.5
    assert result.errors["timeout"] >= 2
    assert result.statuses == Counter({0: result.errors["timeout"]})
    assert result.latencies_s == []


def test_the_closed_loop_goes_on_after_transport_errors(server):
    def make_request(seq: int) -> Request:
        return Request("GET", "/garbage" if seq % 2 else "/echo")

    result = asyncio.run(run_closed_loop("127.0.0.1", server.port, make_request, 2, 0.3))

    assert result.errors["malformed_response"] > 5
    assert result.statuses[200] > 5


def test_the_open_loop_sends_about_rate_times_duration_requests(server):
    result = run_open_loop_sync(
        "127.0.0.1", server.port, lambda seq: Request("GET", "/echo"), 200, 0.5
    )

    assert 99 <= len(result.latencies_s) <= 101
    assert result.statuses == Counter({200: len(result.latencies_s)})
    assert 0.49 <= result.duration_s < 0.6
    assert min(result.latencies_s) > 0


def test_the_open_loop_keeps_its_rate_when_the_server_falls_behind(server):
    # The server serves 20 requests/s; 40/s arrive for 0.5 s. The queue grows and
    # the 20th request waits for the 19 ahead of it.
    result = asyncio.run(
        run_open_loop("127.0.0.1", server.port, lambda seq: Request("GET", "/serial"), 40, 0.5)
    )

    assert len(result.latencies_s) == 20
    assert result.percentile(0) >= SERVICE_TIME_OF_SERIAL_S * 0.9
    assert result.percentile(100) > 0.4


def test_the_open_loop_measures_latency_from_the_scheduled_send_time(server):
    # Blocking the client for 0.2 s while it builds request 0 makes the requests due
    # meanwhile leave late; that lateness is theirs to bear, as a user's would be.
    def make_request(seq: int) -> Request:
        if seq == 0:
            time.sleep(0.2)
        return Request("GET", "/echo")

    result = asyncio.run(run_open_loop("127.0.0.1", server.port, make_request, 100, 0.4))

    late = sorted(result.latencies_s, reverse=True)[:10]
    assert min(late) >= 0.1
    assert result.percentile(100) >= 0.19
    assert result.percentile(50) < 0.05


def test_the_open_loop_counts_arrivals_beyond_max_in_flight_as_overload(server):
    result = asyncio.run(
        run_open_loop(
            "127.0.0.1",
            server.port,
            lambda seq: Request("GET", "/hang"),
            100,
            0.3,
            max_in_flight=5,
            request_timeout_s=0.5,
        )
    )

    assert result.errors == Counter({"overload": 25, "timeout": 5})
    assert server.requests_seen["/hang"] == 5


def test_percentile_is_nearest_rank():
    result = LoadResult(duration_s=2.0, latencies_s=[0.4, 0.1, 0.3, 0.2])

    assert [result.percentile(p) for p in (0, 25, 26, 50, 75, 99, 100)] == [
        0.1,
        0.1,
        0.2,
        0.2,
        0.3,
        0.4,
        0.4,
    ]
    assert result.throughput() == 2.0


def test_percentile_of_no_latencies_is_an_error():
    with pytest.raises(ValueError, match="no latencies"):
        LoadResult(duration_s=1.0).percentile(50)
