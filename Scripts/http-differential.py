#!/usr/bin/env python3
"""Differential fuzzing of the runtime's HTTP/1.1 framing against h11.

Generates requests (and, with --responses, worker responses) from a grammar of the framing
cases that matter -- Content-Length and Transfer-Encoding in every combination, chunked bodies
with extensions, bad sizes and trailers, obs-fold, bare CR/LF/NUL in fields, Host rules,
pipelining, LF-only line ends -- then mutates some of them byte by byte, and feeds the same
bytes to h11 (the reference sans-I/O implementation) and to the runtime's own parser
(`headroom-http-oracle`, the parser exactly as the event loop runs it). Both must give the same
messages (method, target, version, header fields, body; status, header fields, body) and
refuse the same inputs.

Compared after these normalisations, each a choice the RFC leaves open and nothing that moves
a message boundary:
  - a refusal is a refusal: the status (400, 501, 413 ...) and an input that ends inside a
    message (h11's "peer closed" error) are not told apart;
  - a request h11 accepts with a version other than HTTP/1.0 or 1.1 is refused by Headroom
    with 505 (RFC 9110 §15.6.6);
  - after a message on which either side closes the connection, nothing more is compared
    (Headroom closes after Transfer-Encoding with Content-Length, RFC 9112 §6.3, where h11
    keeps the connection; h11 never keeps HTTP/1.0 alive);
  - Content-Length and Transfer-Encoding fields are not compared themselves (h11 folds repeated
    Content-Length fields into one): the bodies they framed are;
  - header values are compared as UTF-8 text with invalid bytes replaced (Headroom keeps
    header values as Swift strings).

Usage: http-differential.py [--count N] [--seconds S] [--seed K] [--responses] [--oracle PATH]
Exit 0 with no difference, 1 with differences (the first few printed, all saved to
.build/http-differential/), 2 when h11 is not installed.
"""
import argparse, json, os, random, struct, subprocess, sys, time

try:
    import h11
except ImportError:
    print("http-differential: h11 is not installed (pip install h11): skipped")
    sys.exit(2)

# ---------------------------------------------------------------- the generator

METHODS = [b"GET", b"POST", b"PUT", b"DELETE", b"HEAD", b"OPTIONS", b"PATCH"] * 6 + [b"get", b"M-SEARCH", b"P0ST!", b"G ET", b"GET\t", b"", b"G\x00T", b"\xc3\xa9"]
TARGETS = [b"/", b"/v2/models/m/infer", b"/a?b=c"] * 8 + [b"*", b"http://h/x", b"h:80", b"/\x7f", b"/a b", b"/\xff", b"", b"/%20", b"/a\tb"]
VERSIONS = [b"HTTP/1.1"] * 40 + [b"HTTP/1.0"] * 10 + [b"HTTP/2.0", b"HTTP/1.2", b"HTTP/0.9", b"http/1.1", b"HTTP/1", b"HTTP/11", b"HTTP/1.1 ", b" HTTP/1.1", b"HTTP/a.b"]
CL_VALUES = [b"{n}"] * 12 + [b"+{n}", b"-{n}", b" {n} ", b"{n}, {n}", b"{n},{n}", b"{n}, {m}", b"", b"0x{n}", b"{n}.0", b"{n} {n}", b"99999999999999999999", b"123456789012345678901", b"0{n}", b",{n}", b"{n},"]
TE_VALUES = [b"chunked"] * 12 + [b"Chunked", b"CHUNKED", b" chunked ", b"xchunked", b"chunkedx", b"chunked, chunked", b"gzip, chunked", b"chunked, gzip", b"identity", b"gzip", b"", b"chunked;q=1", b"chu\x00nked", b"\tchunked"]
OTHER = [(b"Host", b"example.com"), (b"Host", b"a"), (b"Connection", b"close"), (b"Connection", b"keep-alive"), (b"Connection", b"Keep-Alive, Upgrade"),
         (b"Expect", b"100-continue"), (b"X-Caller", b"web"), (b"Accept", b"*/*"), (b"X-Empty", b""), (b"X-Spaces", b"a  b\t c"),
         (b"X-Obs", b"caf\xc3\xa9"), (b"X-Bad", b"\xff\xfe"), (b"X-Ctl", b"a\x01b"), (b"X-Del", b"a\x7fb"), (b"Trailer", b"X-T")]
BAD_FIELDS = [b"X-Cr: a\rb", b"X-Nul: a\x00b", b"X-Vt: a\x0bb", b"X-Ff: a\x0cb", b"X Space: a", b"X-Tab\t: a", b": empty-name", b"NoColon", b"X-\xc3: a",
              b" folded-at-start", b"\tfolded", b"X-Lf: a\nb", b"Host : x", b"X-Quote\": a", b"X@: a"]
FOLDS = [b" more", b"\tmore", b"   ", b" \t x", b"  a:b"]


def chunked(body, rng):
    """A chunked body, now and then with extensions, odd sizes, bad terminators or trailers."""
    out = bytearray()
    i = 0
    while i < len(body):
        n = rng.randint(1, max(1, len(body) - i))
        size = b"%x" % n
        r = rng.random()
        if r < 0.05: size = size.upper()
        elif r < 0.08: size = b"0" * rng.randint(1, 20) + size
        elif r < 0.12: size = size + rng.choice([b";ext", b";a=b;c=\"d\"", b"; ext", b" ", b"\t", b";\r", b"x", b" ;ext", b";\x00"])
        elif r < 0.14: size = rng.choice([b"0x" + size, b"-" + size, b" " + size, b"", b"g", b"1" * 21])
        elif r < 0.16: size = b"%x" % (n + rng.choice([-1, 1, 5]))
        out += size + rng.choice([b"\r\n"] * 40 + [b"\n", b"\r\r\n"])
        out += body[i:i + n]
        out += rng.choice([b"\r\n"] * 40 + [b"\n", b"", b"xx", b"\r"])
        i += n
    out += rng.choice([b"0", b"0", b"00", b"0;end", b"000000000000000000000"]) + rng.choice([b"\r\n"] * 8 + [b"\n"])
    r = rng.random()
    if r < 0.2: out += b"X-Trailer: t" + rng.choice([b"\r\n", b"\n"])
    elif r < 0.25: out += rng.choice([b"Content-Length: 5\r\n", b"Transfer-Encoding: gzip\r\n", b"Bad Trailer\r\n", b" fold\r\n", b"X: a\x00\r\n"])
    out += rng.choice([b"\r\n"] * 8 + [b"\n", b""])
    return bytes(out)


def message(rng, response=False):
    eol = b"\n" if rng.random() < 0.08 else b"\r\n"
    def line_end():
        return rng.choice([eol] * 60 + [b"\n", b"\r\n", b"\r\r\n"])
    body = bytes(rng.choice(b"abcxyz{}\":0123\r\n") for _ in range(rng.choice([0, 0, 1, 3, 5, 16, 40])))
    if response:
        status = rng.choice([200, 200, 201, 204, 304, 404, 500, 100, 101, 199, 99, 600])
        version = rng.choice([b"HTTP/1.1"] * 6 + [b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.x", b"HTTX/1.1"])
        reason = rng.choice([b" OK", b" OK", b"", b" ", b" Not Found", b" a\tb", b" caf\xc3\xa9", b" a\x00b", b" a\rb", b"OK", b" \x01"])
        head = version + b" " + (b"%03d" % status if status < 1000 else b"%d" % status) + reason + line_end()
    else:
        head = rng.choice(METHODS) + rng.choice([b" "] * 40 + [b"  ", b"\t"]) + rng.choice(TARGETS) + rng.choice([b" "] * 40 + [b"  "]) + rng.choice(VERSIONS) + line_end()
        if rng.random() < 0.03: head = rng.choice([b"\r\n", b"\n"]) + head
    fields = []
    if not response:
        hosts = rng.choice([1] * 30 + [0, 2])
        fields += [(b"Host", b"h%d" % k) for k in range(hosts)]
    framing = rng.random()
    body_bytes = body
    if framing < 0.35:
        n, m = len(body), len(body) + rng.choice([1, -1, 3])
        for _ in range(rng.choice([1] * 8 + [2, 3])):
            v = rng.choice(CL_VALUES).replace(b"{n}", b"%d" % n).replace(b"{m}", b"%d" % max(0, m))
            fields.append((rng.choice([b"Content-Length", b"content-length", b"CONTENT-LENGTH"]), v))
    elif framing < 0.7:
        for _ in range(rng.choice([1] * 8 + [2])):
            fields.append((rng.choice([b"Transfer-Encoding", b"transfer-encoding"]), rng.choice(TE_VALUES)))
        if rng.random() < 0.3:
            fields.append((b"Content-Length", b"%d" % rng.choice([len(body), 0, 3, 100])))
        body_bytes = chunked(body, rng)
    elif framing < 0.8:
        body_bytes = b"" if not response else body
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        fields.append(rng.choice(OTHER))
    rng.shuffle(fields)
    lines = []
    for name, value in fields:
        sep = rng.choice([b": "] * 10 + [b":", b":  ", b":\t", b" : "])
        lines.append(name + sep + value + rng.choice([b""] * 10 + [b" ", b"\t"]))
        if rng.random() < 0.04:
            lines.append(rng.choice(FOLDS))
    if rng.random() < 0.06:
        lines.insert(rng.randint(0, len(lines)), rng.choice(BAD_FIELDS))
    out = head + b"".join(l + line_end() for l in lines) + eol + body_bytes
    return out


def mutate(data, rng):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        r = rng.random()
        if not data:
            data += rng.choice([b"\r\n", b"G", b"0"])
            continue
        k = rng.randrange(len(data))
        if r < 0.25:
            data[k:k] = rng.choice([b"\r", b"\n", b"\r\n", b" ", b"\t", b":", b",", b"0", b"5", b";", b"\x00", b"a", b"chunked", b"Content-Length: 1\r\n", b"Transfer-Encoding: chunked\r\n"])
        elif r < 0.45:
            del data[k:k + rng.randint(1, 4)]
        elif r < 0.6:
            data[k] = rng.randrange(256)
        elif r < 0.75:
            j = rng.randrange(len(data))
            a, b = min(k, j), max(k, j)
            data[b:b] = data[a:min(b, a + 32)]
        elif r < 0.85:
            del data[k:]
        else:
            data[k] = rng.choice(b"\r\n \t:;,0123456789abcdefABCDEF")
    return bytes(data)


def generate(rng, responses):
    n = 1 if responses else rng.choice([1, 1, 1, 2, 2, 3])
    data = b"".join(message(rng, responses) for _ in range(n))
    if rng.random() < 0.3:
        data = mutate(data, rng)
    return data[:8192]

# ---------------------------------------------------------------- h11's verdicts

def text(b):
    return b.decode("utf-8", "replace")


def shown(headers):
    return [text(n).lower() + ": " + text(v) for n, v in headers if n.lower() not in (b"content-length", b"transfer-encoding")]


def h11_requests(data):
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    conn.receive_data(b"")
    events, current, body = [], None, bytearray()
    try:
        while True:
            e = conn.next_event()
            if e is h11.NEED_DATA or e is h11.PAUSED:
                events.append(["incomplete"])   # cannot happen after EOF; kept to be seen
                return events
            if isinstance(e, h11.ConnectionClosed):
                return events
            if isinstance(e, h11.Request):
                current, body = e, bytearray()
                if e.http_version not in (b"1.0", b"1.1"):
                    events.append(["error", 505, "version"])
                    return events
            elif isinstance(e, h11.Data):
                body += e.data
            elif isinstance(e, h11.EndOfMessage):
                events.append(["request", text(current.method), text(current.target), "HTTP/" + text(current.http_version), shown(current.headers), body.hex()])
                conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
                conn.send(h11.EndOfMessage())
                if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                    events.append(["close"])
                    return events
                conn.start_next_cycle()
    except h11.RemoteProtocolError as e:
        events.append(["error", e.error_status_hint, str(e)])
        return events


def h11_response(data):
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/", headers=[("Host", "worker"), ("Content-Length", "0")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(data)
    conn.receive_data(b"")
    current, body = None, bytearray()
    try:
        while True:
            e = conn.next_event()
            if e is h11.NEED_DATA or e is h11.PAUSED:
                return [["incomplete"]]
            if isinstance(e, h11.ConnectionClosed):
                return [["incomplete"]]
            if isinstance(e, h11.InformationalResponse):
                continue
            if isinstance(e, h11.Response):
                current, body = e, bytearray()
            elif isinstance(e, h11.Data):
                body += e.data
            elif isinstance(e, h11.EndOfMessage):
                out = [["response", current.status_code, shown(current.headers), body.hex()]]
                if conn.their_state is h11.MUST_CLOSE:
                    out.append(["close"])
                return out
    except h11.RemoteProtocolError as e:
        return [["error", e.error_status_hint, str(e)]]

# ---------------------------------------------------------------- comparison

def normalised(events):
    """Messages and the verdict that ends them, compared up to the first close."""
    out = []
    for e in events:
        if e[0] in ("error", "incomplete"):
            out.append("refused")
            break
        if e[0] == "close":
            out.append("close")
            break
        out.append(json.dumps(e))
    return out


def same(ours, theirs):
    a, b = normalised(ours), normalised(theirs)
    # After a message on which either side closes, nothing more is compared.
    for k in range(max(len(a), len(b))):
        x = a[k] if k < len(a) else "end"
        y = b[k] if k < len(b) else "end"
        if x == "close" or y == "close":
            return True
        if x != y:
            return False
    return True


def run_oracle(oracle, mode, inputs):
    payload = b"".join(struct.pack("<I", len(d)) + d for d in inputs)
    p = subprocess.run([oracle, mode], input=payload, stdout=subprocess.PIPE, check=True)
    lines = p.stdout.decode("utf-8").splitlines()
    assert len(lines) == len(inputs), (len(lines), len(inputs))
    return [json.loads(l) for l in lines]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=0, help="inputs to try (with --seconds: whichever ends first)")
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--responses", action="store_true", help="worker responses instead of client requests")
    ap.add_argument("--oracle", default=".build/debug/headroom-http-oracle")
    ap.add_argument("--batch", type=int, default=20000)
    a = ap.parse_args()
    if not a.count and not a.seconds:
        a.count = 100000
    rng = random.Random(a.seed)
    mode = "responses" if a.responses else "requests"
    theirs_of = h11_response if a.responses else h11_requests
    tried, differences, started = 0, [], time.time()
    kinds = {"accepted": 0, "refused": 0}
    while (not a.count or tried < a.count) and (not a.seconds or time.time() - started < a.seconds):
        size = a.batch if not a.count else min(a.batch, a.count - tried)
        inputs = [generate(rng, a.responses) for _ in range(size)]
        ours_all = run_oracle(a.oracle, mode, inputs)
        for data, ours in zip(inputs, ours_all):
            theirs = theirs_of(data)
            if normalised(theirs)[-1:] == ["refused"]:
                kinds["refused"] += 1
            else:
                kinds["accepted"] += 1
            if not same(ours, theirs):
                differences.append({"input": data.hex(), "headroom": ours, "h11": theirs})
        tried += size
    elapsed = time.time() - started
    print(f"http-differential {mode}: {tried} inputs in {elapsed:.1f} s ({tried / max(elapsed, 1e-9):.0f}/s), seed {a.seed}; "
          f"h11 accepted {kinds['accepted']}, refused {kinds['refused']}; differences: {len(differences)}")
    if differences:
        os.makedirs(".build/http-differential", exist_ok=True)
        path = f".build/http-differential/{mode}-seed{a.seed}.jsonl"
        with open(path, "w") as f:
            for d in differences:
                f.write(json.dumps(d) + "\n")
        for d in differences[:5]:
            print("input:   ", bytes.fromhex(d["input"])[:400])
            print("headroom:", json.dumps(d["headroom"])[:400])
            print("h11:     ", json.dumps(d["h11"])[:400])
        print(f"all {len(differences)} differences in {path}")
        sys.exit(1)


if __name__ == "__main__":
    main()
