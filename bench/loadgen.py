"""A small closed-loop HTTP load generator for the benchmarks.

C clients (spread over P processes) each send a fixed number of requests on a
keep-alive connection and wait for every answer, so the run ends with nothing in
flight: the server's database can then be compared with what was acknowledged.
"""

import http.client
import multiprocessing as mp
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# make_request(client_no, request_no) -> (method, path, body bytes, headers)
RequestMaker = Callable[[int, int], tuple[str, str, bytes, dict]]


@dataclass
class LoadResult:
    requests: int
    acknowledged: int  # responses counted as success by the caller's status set
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(q / 100 * len(xs)))]

    def summary(self) -> dict:
        return {
            "requests": self.requests,
            "acknowledged": self.acknowledged,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "req_per_s": round(self.throughput, 1),
            "p50_ms": round(statistics.median(self.latencies_ms), 2),
            "p99_ms": round(self.pct(99), 2),
        }


def _client(host, port, maker, client_no, n, ok_statuses, out):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    lat, ok, err = [], 0, 0
    for i in range(n):
        method, path, body, headers = maker(client_no, i)
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
            status = 0
        lat.append((time.perf_counter() - t0) * 1000)
        if status in ok_statuses:
            ok += 1
        else:
            err += 1
    conn.close()
    out.append((lat, ok, err))


def _process(host, port, maker, clients, n, ok_statuses, queue, start_event):
    out: list = []
    threads = [
        threading.Thread(target=_client, args=(host, port, maker, c, n, ok_statuses, out))
        for c in clients
    ]
    start_event.wait()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put(out)


def run_load(
    host: str,
    port: int,
    maker: RequestMaker,
    concurrency: int,
    per_client: int,
    ok_statuses=(200, 201, 302, 303),
    processes: int = 2,
) -> LoadResult:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    start = ctx.Event()
    groups = [list(range(p, concurrency, processes)) for p in range(processes)]
    procs = [
        ctx.Process(
            target=_process, args=(host, port, maker, g, per_client, ok_statuses, queue, start)
        )
        for g in groups
        if g
    ]
    for p in procs:
        p.start()
    time.sleep(0.3)
    t0 = time.perf_counter()
    start.set()
    results = [queue.get() for _ in procs]
    seconds = time.perf_counter() - t0
    for p in procs:
        p.join()
    lat, ok, err = [], 0, 0
    for out in results:
        for lat_c, ok_c, err_c in out:
            lat += lat_c
            ok += ok_c
            err += err_c
    return LoadResult(len(lat), ok, err, seconds, lat)
