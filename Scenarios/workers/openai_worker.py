"""An OpenAI-compatible model server, standard library only, that paces its tokens like an
LLM engine: a stand-in for vLLM or llama.cpp's server behind `headroom serve`, so the path is
exercised without a GPU.

Listens on $PORT (the Knative / Cloud Run contract); GET /healthz answers 200 once started.
POST /v1/chat/completions and /v1/completions answer after a prefill of PREFILL_MS_PER_TOKEN
milliseconds per prompt token (whitespace-separated words) and TOKEN_MS per output token
(`max_tokens`, default 16); with "stream": true, as server-sent events, one chunk per token
sent as it is made, then "data: [DONE]" (the shape of OpenAI's streaming answers). POST
/v1/embeddings answers a small deterministic vector per input. GET /v1/models lists
$HEADROOM_MODEL.
"""
import json, os, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME = os.environ.get("HEADROOM_MODEL", "model")
PREFILL = float(os.environ.get("PREFILL_MS_PER_TOKEN", "0.5")) / 1000
TOKEN = float(os.environ.get("TOKEN_MS", "10")) / 1000


def prompt_tokens(body):
    if "messages" in body:
        text = " ".join(str(m.get("content", "")) for m in body["messages"] if isinstance(m, dict))
    else:
        p = body.get("prompt", "")
        text = " ".join(p) if isinstance(p, list) else str(p)
    return max(1, len(text.split()))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
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
        if self.path in ("/", "/healthz"):
            return self.reply(200, {"status": "ready"})
        if self.path == "/v1/models":
            return self.reply(200, {"object": "list", "data": [{"id": NAME, "object": "model", "created": 0, "owned_by": "example"}]})
        self.reply(404, {"error": {"message": "no such path", "type": "invalid_request_error", "param": None, "code": None}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self.reply(400, {"error": {"message": "the body is not JSON", "type": "invalid_request_error", "param": None, "code": None}})
        if self.path == "/v1/embeddings":
            inputs = body.get("input", "")
            inputs = inputs if isinstance(inputs, list) else [inputs]
            data = [{"object": "embedding", "index": i, "embedding": [len(str(x)) / 100, (i + 1) / 10, 0.5]} for i, x in enumerate(inputs)]
            return self.reply(200, {"object": "list", "data": data, "model": NAME, "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)}})
        if self.path not in ("/v1/chat/completions", "/v1/completions"):
            return self.reply(404, {"error": {"message": "no such path", "type": "invalid_request_error", "param": None, "code": None}})
        chat = self.path == "/v1/chat/completions"
        n_in, n_out = prompt_tokens(body), int(body.get("max_tokens") or 16)
        created = int(time.time())
        rid = ("chatcmpl-" if chat else "cmpl-") + self.headers.get("X-Request-Id", "0")
        kind = "chat.completion" if chat else "text_completion"
        time.sleep(PREFILL * n_in)
        words = ["tok%d" % i for i in range(n_out)]
        usage = {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}
        if not body.get("stream"):
            time.sleep(TOKEN * n_out)
            text = " ".join(words)
            choice = {"index": 0, "finish_reason": "length"}
            choice.update({"message": {"role": "assistant", "content": text}} if chat else {"text": text})
            return self.reply(200, {"id": rid, "object": kind, "created": created, "model": body.get("model", NAME), "choices": [choice], "usage": usage})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def event(obj):
            data = ("data: " + (obj if isinstance(obj, str) else json.dumps(obj)) + "\n\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        for i, w in enumerate(words):
            if i > 0:
                time.sleep(TOKEN)
            piece = (" " if i else "") + w
            delta = {"index": 0, "finish_reason": "length" if i == n_out - 1 else None}
            delta.update({"delta": {"content": piece} if i else {"role": "assistant", "content": piece}} if chat else {"text": piece})
            event({"id": rid, "object": kind + ".chunk" if chat else kind, "created": created, "model": body.get("model", NAME), "choices": [delta]})
        event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
