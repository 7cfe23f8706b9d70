"""The streaming benchmark's client (Benchmarks/serve-stream.sh): opens STREAMS concurrent
streams of EVENTS events GAP_MS apart against a URL, reads each as it comes (asyncio, one
connection per stream), and prints, as JSON: how long each event took from the worker's
write to its arrival here (the worker stamps CLOCK_MONOTONIC in it), the time to the first
byte and to the first event of each stream, whether every stream got every event in order
and ended with its last chunk, and the slowest stream's end.

    python3 Benchmarks/stream_client.py URL STREAMS EVENTS GAP_MS [TIMEOUT_S]
"""
import asyncio, json, sys, time
from urllib.parse import urlparse


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * (len(xs) - 1) + 0.5))] if xs else None


async def one(url, events, gap_ms, delays, out):
    u = urlparse(url)
    reader, writer = await asyncio.open_connection(u.hostname, u.port)
    body = json.dumps({"events": events, "gap_ms": gap_ms}).encode()
    sent = time.monotonic_ns()
    writer.write(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                 % (u.path.encode(), len(body), body))
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    seen, first_byte, first_event, ordered, complete = 0, None, None, True, False
    pending = b""
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            complete = True
            break
        data = await reader.readexactly(size + 2)
        now = time.monotonic_ns()
        if first_byte is None:
            first_byte = now
        pending += data[:-2]
        while b"\n\n" in pending:
            event, pending = pending.split(b"\n\n", 1)
            fields = event.split(b" ")
            if first_event is None:
                first_event = now
            index, stamp = int(fields[1]), int(fields[2])
            ordered = ordered and index == seen
            seen += 1
            delays.append((now - stamp) / 1e6)
    writer.close()
    out.append({"status": status, "events": seen, "ordered": ordered, "complete": complete,
                "ttfb_ms": (first_byte - sent) / 1e6 if first_byte else None,
                "ttfe_ms": (first_event - sent) / 1e6 if first_event else None, "end": time.monotonic_ns()})


async def main():
    url, streams, events, gap_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 120
    delays, out = [], []
    began = time.monotonic_ns()
    tasks = [asyncio.create_task(one(url, events, gap_ms, delays, out)) for _ in range(streams)]
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for t in pending:
        t.cancel()
    errors = [repr(t.exception()) for t in done if t.exception()]
    ideal = (events - 1) * gap_ms
    print(json.dumps({
        "streams": streams, "finished": len(out), "errors": len(errors) + len(pending), "first_error": (errors or [None])[0],
        "all_events_in_order": all(o["ordered"] and o["events"] == events and o["complete"] and o["status"] == 200 for o in out) and len(out) == streams,
        "events": len(delays),
        "delay_ms": {"p50": quantile(delays, 0.5), "p90": quantile(delays, 0.9), "p99": quantile(delays, 0.99), "max": max(delays) if delays else None},
        "ttfb_ms": {"p50": quantile([o["ttfb_ms"] for o in out if o["ttfb_ms"] is not None], 0.5),
                    "p99": quantile([o["ttfb_ms"] for o in out if o["ttfb_ms"] is not None], 0.99)},
        "ttfe_ms": {"p50": quantile([o["ttfe_ms"] for o in out if o["ttfe_ms"] is not None], 0.5)},
        "slowest_stream_s": max((o["end"] - began) / 1e9 for o in out) if out else None,
        "ideal_stream_s": ideal / 1000,
    }))

asyncio.run(main())
