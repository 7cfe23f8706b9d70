"""A real ML model on CPU behind the http contract: a scikit-learn text classifier trained
at start-up on the 20 newsgroups-free `load_files`-less data scikit-learn ships (the iris
measurements), so its start-up is a real cold start: import scikit-learn, fit, then listen.

POST a JSON body {"features": [5.1, 3.5, 1.4, 0.2]} (or a list of such rows under
"instances"); the answer names the predicted iris species with its probability.
"""
import json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

data = load_iris()
model = RandomForestClassifier(n_estimators=50, random_state=0).fit(data.data, data.target)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY the body waits for the
    # client's delayed ACK (40 ms on Linux) on every kept-alive request.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):
        self.reply(200, {"ready": True})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        try:
            body = json.loads(self.rfile.read(n) or b"{}")
            rows = body.get("instances") or [body.get("features", [5.1, 3.5, 1.4, 0.2])]
            probabilities = model.predict_proba(rows)
        except Exception as e:  # a bad input is the client's error
            self.reply(400, {"error": str(e)})
            return
        out = [{"species": str(data.target_names[p.argmax()]), "probability": round(float(p.max()), 4)} for p in probabilities]
        self.reply(200, {"predictions": out})


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 128   # socketserver's default backlog of 5 drops SYNs under load
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
