"""A model server speaking the Knative / Cloud Run container contract, standard library only.

Listens on $PORT; GET / (and /healthz) answers 200 once started; POST answers the JSON body
back with a sleep drawn from an exponential distribution of mean $MEAN_MS milliseconds
(0: none), as a stand-in for inference. STARTUP_MS delays readiness (a model load).
BURN_MS burns that many milliseconds of CPU per request (measured on the thread's own CPU
clock, so under contention it takes longer, as real work does), before the sleep;
STARTUP_BURN_MS burns CPU at start-up (an interpreter importing its libraries).
"""
import json, os, random, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

def burn(ms, clock):
    """Spins until `clock` (a CPU clock) has advanced `ms` milliseconds."""
    end = clock() + ms / 1000
    while clock() < end:
        pass


burn(float(os.environ.get("STARTUP_BURN_MS", "0")), time.process_time)
time.sleep(float(os.environ.get("STARTUP_MS", "0")) / 1000)
BURN = float(os.environ.get("BURN_MS", "0"))
MEAN = float(os.environ.get("MEAN_MS", "0")) / 1000
NAME = os.environ.get("HEADROOM_MODEL", "echo")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY the body waits for the
    # client's delayed ACK (40 ms on Linux) on every kept-alive request.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply(200, {"ready": True})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n) if n else b""
        if BURN > 0:
            burn(BURN, time.thread_time)
        if MEAN > 0:
            time.sleep(random.expovariate(1 / MEAN))
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        self.reply(200, {"model": NAME, "pid": os.getpid(), "path": self.path, "echo": payload})


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 128   # socketserver's default backlog of 5 drops SYNs under load
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
