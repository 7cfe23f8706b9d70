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

Each request is paced on its own by default. With BATCHING=1 the requests share one engine
loop, as continuous batching does (vLLM V1's scheduler, as Headroom's engine model runs it):
each iteration decodes one token of every running request (at most MAX_SEQUENCES, default
16), then fills the rest of a MAX_BATCH_TOKENS budget (default 2048) with prompt chunks of
waiting requests, oldest first; it lasts TOKEN_MS when it decodes anything, plus
PREFILL_MS_PER_TOKEN per prompt token in it. A request's first token comes at the end of the
iteration that finishes its prompt, the others one per iteration after it. So a long prompt
slows the tokens of every request beside it, as on a GPU.
"""
import collections, json, os, queue, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME = os.environ.get("HEADROOM_MODEL", "model")
PREFILL = float(os.environ.get("PREFILL_MS_PER_TOKEN", "0.5")) / 1000
TOKEN = float(os.environ.get("TOKEN_MS", "10")) / 1000
BATCHING = os.environ.get("BATCHING") == "1"
MAX_SEQUENCES = int(os.environ.get("MAX_SEQUENCES", "16"))
MAX_BATCH_TOKENS = int(os.environ.get("MAX_BATCH_TOKENS", "2048"))


class Sequence:
    def __init__(self, prompt, output):
        self.prompt, self.output = prompt, output
        self.prefilled, self.made = 0, 0
        self.tokens = queue.Queue()   # a None per token made
        self.cancelled = False        # its client went away: dropped at the next iteration


class Engine(threading.Thread):
    """One loop for every request: continuous batching with chunked prefill."""

    def __init__(self):
        super().__init__(daemon=True)
        self.lock = threading.Condition()
        self.waiting, self.running = collections.deque(), []
        self.ended = 0.0   # when the last iteration was due to end (time.monotonic)

    def submit(self, prompt, output):
        seq = Sequence(prompt, output)
        with self.lock:
            self.waiting.append(seq)
            self.lock.notify()
        return seq

    def run(self):
        while True:
            with self.lock:
                self.running = [q for q in self.running if not q.cancelled]
                self.waiting = collections.deque(q for q in self.waiting if not q.cancelled)
                while not self.waiting and not self.running:
                    self.lock.wait()
                decodes = list(self.running)
                budget = MAX_BATCH_TOKENS - len(decodes)
                chunks = []
                for seq in self.waiting:
                    if budget <= 0 or len(self.running) + len(chunks) >= MAX_SEQUENCES:
                        break
                    take = min(budget, seq.prompt - seq.prefilled)
                    chunks.append((seq, take))
                    budget -= take
            # Back to back, an iteration ends a fixed time after the previous one was due to,
            # so late wake-ups do not stretch every token after them; after an idle spell it
            # ends that time after it began.
            now = time.monotonic()
            base = self.ended if now - self.ended < TOKEN else now
            due = base + (TOKEN if decodes else 0) + PREFILL * sum(t for _, t in chunks)
            time.sleep(max(0.0, due - now))
            self.ended = due
            with self.lock:
                for seq in decodes:
                    seq.made += 1
                    seq.tokens.put(None)
                    if seq.made >= seq.output:
                        self.running.remove(seq)
                for seq, take in chunks:
                    seq.prefilled += take
                    if seq.prefilled >= seq.prompt:
                        self.waiting.remove(seq)
                        seq.made = 1
                        seq.tokens.put(None)   # the first token ends the prefill
                        if seq.output > 1:
                            self.running.append(seq)


ENGINE = Engine() if BATCHING else None
if ENGINE:
    ENGINE.start()


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
        words = ["tok%d" % i for i in range(n_out)]
        usage = {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}
        seq = ENGINE.submit(n_in, n_out) if ENGINE else None

        start = time.monotonic()

        def next_token(i):
            """Waits until token i is made: the engine's, or this request's own pace. The pace
            is kept against the request's start, not slept token by token, so the time spent
            writing each chunk (and a busy machine's late wake-ups) does not add up."""
            if seq:
                seq.tokens.get()
            else:
                time.sleep(max(0.0, start + PREFILL * n_in + i * TOKEN - time.monotonic()))

        if not body.get("stream"):
            for i in range(n_out):
                next_token(i)
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

        try:
            for i, w in enumerate(words):
                next_token(i)
                piece = (" " if i else "") + w
                delta = {"index": 0, "finish_reason": "length" if i == n_out - 1 else None}
                delta.update({"delta": {"content": piece} if i else {"role": "assistant", "content": piece}} if chat else {"text": piece})
                event({"id": rid, "object": kind + ".chunk" if chat else kind, "created": created, "model": body.get("model", NAME), "choices": [delta]})
            event("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client went away (Headroom closes the connection when its client does):
            # the request is aborted, as vLLM aborts a disconnected request.
            if seq:
                seq.cancelled = True
            self.close_connection = True


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 128   # socketserver's default backlog of 5 drops SYNs under load
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
