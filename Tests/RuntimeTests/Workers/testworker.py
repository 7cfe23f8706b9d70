"""The runtime tests' HTTP worker (Knative / Cloud Run contract), standard library only.

The JSON body steers it: {"sleep": seconds} answers after a sleep, {"crash": true} exits at
once without answering, {"nolength": true} answers without Content-Length and closes (the
body runs until the connection ends). A KServe v2 inference request (an "inputs" array, in
JSON or with the binary tensor extension) is answered as a model doubling its first FP32
input would answer it, in the form the request asked for. NEVER_READY=1 makes the readiness
path answer 503 forever.

{"stream": {"events": N, "gap": seconds, "mode": "sse" | "chunked" | "close", "size": bytes,
"break_after": K}} streams its answer: N events `gap` apart, each "data: <i> <monotonic ns
when sent> <padding to size>\n\n", as server-sent events in chunks (sse), as plain chunks
(chunked), or without framing, ended by closing the connection (close). With break_after it
closes the connection after K events, mid-answer. A client that went away ends the loop
(the write fails).
"""
import json, os, socket, struct, sys, time
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

    def infer_v2(self, raw):
        """A KServe v2 inference: OUT = 2 × the first input (FP32), as JSON data or, where the
        request asks for it, with the binary tensor extension (a JSON header whose length is in
        Inference-Header-Content-Length, then the raw little-endian values). None when the body
        is not a v2 inference request."""
        length = self.headers.get("Inference-Header-Content-Length")
        try:
            head = json.loads(raw[:int(length)] if length is not None else raw)
        except ValueError:
            return None
        if not isinstance(head, dict) or not isinstance(head.get("inputs"), list) or not head["inputs"]:
            return None
        first = head["inputs"][0]
        if "data" in first:
            values = first["data"]
            while values and isinstance(values[0], list):
                values = [v for row in values for v in row]
        else:
            size = first["parameters"]["binary_data_size"]
            tail = raw[int(length):]
            values = list(struct.unpack("<%df" % (size // 4), tail[:size]))
        doubled = [2 * v for v in values]
        asked = head.get("outputs") or [{}]
        binary = bool(asked[0].get("parameters", {}).get("binary_data")) or bool(head.get("parameters", {}).get("binary_data_output"))
        output = {"name": "OUT", "datatype": "FP32", "shape": first["shape"]}
        answer = {"model_name": os.environ.get("HEADROOM_MODEL"), "outputs": [output]}
        if "id" in head:
            answer["id"] = head["id"]
        if not binary:
            output["data"] = doubled
            return json.dumps(answer).encode(), None
        blob = struct.pack("<%df" % len(doubled), *doubled)
        output["parameters"] = {"binary_data_size": len(blob)}
        header = json.dumps(answer).encode()
        return header + blob, len(header)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n) if n else b"{}"
        inferred = self.infer_v2(raw) if self.path.endswith("/infer") else None
        if inferred is not None:
            data, header_length = inferred
            self.send_response(200)
            self.send_header("Content-Type", "application/json" if header_length is None else "application/octet-stream")
            if header_length is not None:
                self.send_header("Inference-Header-Content-Length", str(header_length))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"raw": raw.decode(errors="replace")}
        if isinstance(body, dict) and isinstance(body.get("stream"), dict):
            return self.stream(body["stream"])
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


    def stream(self, how):
        mode, events, gap = how.get("mode", "sse"), int(how.get("events", 10)), float(how.get("gap", 0))
        size, cut = int(how.get("size", 0)), how.get("break_after")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream" if mode == "sse" else "application/octet-stream")
        if mode == "close":
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for i in range(events):
                if i > 0 and gap > 0:
                    time.sleep(gap)
                if cut is not None and i == int(cut):
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                line = "data: %d %d " % (i, time.monotonic_ns())
                data = (line + "x" * max(0, size - len(line) - 2) + "\n\n").encode()
                self.wfile.write(data if mode == "close" else b"%x\r\n%s\r\n" % (len(data), data))
            if mode != "close":
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 128   # socketserver's default backlog of 5 drops SYNs under load
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
