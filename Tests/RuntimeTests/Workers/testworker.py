"""The runtime tests' HTTP worker (Knative / Cloud Run contract), standard library only.

The JSON body steers it: {"sleep": seconds} answers after a sleep, {"crash": true} exits at
once without answering, {"nolength": true} answers without Content-Length and closes (the
body runs until the connection ends). NEVER_READY=1 makes the readiness path answer 503
forever.
"""
import json, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NEVER_READY = os.environ.get("NEVER_READY") == "1"


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
        self.reply(503 if NEVER_READY else 200, {"ready": not NEVER_READY})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n) if n else b"{}"
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"raw": raw.decode(errors="replace")}
        if isinstance(body, dict) and body.get("crash"):
            os._exit(3)
        if isinstance(body, dict) and body.get("sleep"):
            time.sleep(float(body["sleep"]))
        if isinstance(body, dict) and body.get("nolength"):
            data = json.dumps({"pid": os.getpid(), "in": body, "framing": "until-close"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[:5])
            self.wfile.flush()
            time.sleep(0.05)   # the body in two pieces, the end of it at the close
            self.wfile.write(data[5:])
            self.close_connection = True
            return
        self.reply(200, {"pid": os.getpid(), "model": os.environ.get("HEADROOM_MODEL"), "path": self.path, "in": body})


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 128   # socketserver's default backlog of 5 drops SYNs under load
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
