"""A small HTTP/1.1 load generator: a fixed number of concurrent connections, each sending
one GET after another for a fixed time (reusing the connection when the server keeps it
open). Prints one JSON line: requests, requests/s, p50/p95 latency, status counts.

    python -m bench.load --port 8001 --path /bench/baseline/ --seconds 10 --connections 4
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import time

_client_ids = itertools.count(1)


def _client_address() -> str:
    n = next(_client_ids)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        return status, False
    return status, headers.get("connection", "").lower() != "close"


async def _worker(args, deadline: float, latencies: list, statuses: dict) -> None:
    reader = writer = None
    while time.perf_counter() < deadline:
        request = (
            f"GET {args.path} HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\nUser-Agent: bench\r\n"
            f"Accept: text/html\r\nAccept-Language: en\r\nX-Bench-Client: {_client_address()}\r\n"
            + (f"Cookie: {args.cookie}\r\n" if args.cookie else "")
            + "\r\n"
        ).encode()
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
            writer.write(request)
            await writer.drain()
            status, keep = await asyncio.wait_for(_read_response(reader), timeout=30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            status, keep = 0, False
        latencies.append(time.perf_counter() - started)
        statuses[status] = statuses.get(status, 0) + 1
        if not keep and writer is not None:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def main(args) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    deadline = started + args.seconds
    await asyncio.gather(*(_worker(args, deadline, latencies, statuses) for _ in range(args.connections)))
    elapsed = time.perf_counter() - started
    ok = sum(v for k, v in statuses.items() if 200 <= k < 300)
    return {
        "requests": len(latencies),
        "ok": ok,
        "seconds": round(elapsed, 3),
        "rps": round(ok / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 1) if latencies else None,
        "p95_ms": round(_percentile(latencies, 0.95) * 1000, 1) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--cookie", default="")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=4)
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
