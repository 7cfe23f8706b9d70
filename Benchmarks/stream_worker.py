"""The streaming benchmark's worker (Benchmarks/serve-stream.sh): the Knative / Cloud Run
contract with as little work as Python allows (asyncio, HTTP/1.1 keep-alive). A POST whose
JSON body is {"events": N, "gap_ms": G} is answered as server-sent events in chunks: N events
G ms apart, each "data: <i> <CLOCK_MONOTONIC ns when written>\\n\\n", so a client on the same
machine can tell how long each took to reach it. The first event is written at once."""
import asyncio, json, os, time


async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = json.loads(await reader.readexactly(length)) if length else {}
            events, gap = int(body.get("events", 10)), float(body.get("gap_ms", 20)) / 1000
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
            start = time.monotonic()
            for i in range(events):
                if i:
                    # Paced from the start, so a late wake-up does not shift the events after it.
                    await asyncio.sleep(max(0, start + i * gap - time.monotonic()))
                data = b"data: %d %d\n\n" % (i, time.monotonic_ns())
                writer.write(b"%x\r\n%s\r\n" % (len(data), data))
                await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(os.environ["PORT"]), backlog=1024)
    async with server:
        await server.serve_forever()

asyncio.run(main())
