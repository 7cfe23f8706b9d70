#!/usr/bin/env python3
"""How this machine's kernel shares its cores, against the fluid sharing Headroom simulates.

Starts the example worker (Scenarios/workers/echo.py, burning BURN_MS of CPU per request,
one Python process: its requests share one core through the GIL) beside 0, 1, 2, ... busy
loops ("hogs", one thread each), and times requests sent alone and in pairs (two at once,
sharing the worker's process). For each count it prints the median latency measured and what
weighted max-min fair sharing of the cores predicts (the worker's process gets
min(1, cores / (hogs + 1)) of a core, so a request's CPU part stretches by the inverse), and
what run queues per core predict (the hogs spread evenly over the cores, the process on one
with the fewest: 1 / (hogs // cores + 1) of a core).
The prediction is anchored on the measurement with no hogs (which holds the worker's own
overhead), so the error is the sharing's alone.

With --cgroups the worker and each hog run in a cpu cgroup of their own with equal weights,
as a container runtime puts pods (cgroup v1 `cpu` hierarchy, writable: as root). Without it
they share one scheduling group, as `headroom serve` runs its workers (threads then compete
one by one, and a process whose two threads hand a GIL to and fro counts twice at times).

    python3 Scripts/core-sharing.py [--burn-ms 30] [--hogs 0,1,2,3,4,5,6] [--requests 40] [--cgroups]

Standard library only. Every process it starts is stopped when it ends or is interrupted.
Results depend on the kernel's scheduler and on what else runs: run it on a quiet machine.
"""
import argparse, http.client, os, socket, statistics, subprocess, sys, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER = os.path.join(ROOT, "Scenarios", "workers", "echo.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, deadline):
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("core-sharing: the worker did not become ready within 10 s")


def timed(conn, out, k):
    t0 = time.perf_counter()
    conn.request("POST", "/", body=b"{}", headers={"Content-Type": "application/json"})
    conn.getresponse().read()
    out[k] = (time.perf_counter() - t0) * 1000


def measure(port, requests):
    a = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    b = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    alone, pairs = [], []
    out = [0.0, 0.0]
    for _ in range(requests):
        timed(a, out, 0)
        alone.append(out[0])
        time.sleep(0.01)
    for _ in range(requests):
        ts = [threading.Thread(target=timed, args=(c, out, k)) for k, c in enumerate((a, b))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        pairs.append(max(out))
        time.sleep(0.01)
    a.close()
    b.close()
    return statistics.median(alone), statistics.median(pairs)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--burn-ms", type=float, default=30)
    p.add_argument("--hogs", default="0,1,2,3,4,5,6")
    p.add_argument("--requests", type=int, default=40)
    p.add_argument("--cgroups", action="store_true", help="a cpu cgroup (v1) for the worker and for each hog")
    args = p.parse_args()
    try:
        counts = sorted({int(x) for x in args.hogs.split(",")} | {0})
    except ValueError:
        raise SystemExit(f"core-sharing: --hogs {args.hogs!r}: expected counts separated by commas, e.g. 0,1,2")
    if args.burn_ms <= 0 or args.requests < 1 or counts[-1] > 64 or counts[0] < 0:
        raise SystemExit("core-sharing: --burn-ms must be above 0, --requests at least 1, --hogs between 0 and 64")
    cores = len(os.sched_getaffinity(0))
    hierarchy = "/sys/fs/cgroup/cpu"
    if args.cgroups and not os.access(hierarchy + "/cgroup.procs", os.W_OK):
        raise SystemExit(f"core-sharing: --cgroups needs a writable cgroup v1 cpu hierarchy at {hierarchy} (run as root; cgroup v2 is not supported here)")
    port = free_port()
    env = dict(os.environ, PORT=str(port), BURN_MS=str(args.burn_ms))
    worker = subprocess.Popen([sys.executable, WORKER], env=env)
    hogs = []
    groups = []

    def group(pid):
        """Moves `pid` (every thread) into a cpu cgroup of its own (default weight)."""
        if args.cgroups:
            d = f"{hierarchy}/core-sharing-{os.getpid()}-{len(groups)}"
            os.mkdir(d)
            groups.append(d)
            with open(d + "/cgroup.procs", "w") as f:
                f.write(str(pid))

    try:
        group(worker.pid)
        wait_ready(port, time.monotonic() + 10)
        print(f"{cores} cores, {args.burn_ms:g} ms of CPU a request, {args.requests} requests alone and {args.requests} pairs per row, "
              + ("a cgroup each" if args.cgroups else "one scheduling group"))
        print("hogs  alone ms  fluid ms  error  per-core ms  error   pair ms  fluid ms  error  per-core ms  error")
        base = None
        for h in counts:
            while len(hogs) < h:
                hogs.append(subprocess.Popen([sys.executable, "-c", "while True: pass"]))
                group(hogs[-1].pid)
            time.sleep(0.3)
            alone, pair = measure(port, args.requests)
            if base is None:
                base = (alone, pair)
            stretch = 1 / min(1, cores / (h + 1)) - 1
            fluid = (base[0] + args.burn_ms * stretch, base[1] + 2 * args.burn_ms * stretch)
            # Run queues per core (contention.runQueues "per-core"): the hogs even over the
            # cores, the worker's process (one task: its GIL) on a core with the fewest.
            stretch = (h // cores + 1) - 1
            queues = (base[0] + args.burn_ms * stretch, base[1] + 2 * args.burn_ms * stretch)
            print(f"{h:4d}  {alone:8.1f}  {fluid[0]:8.1f}  {(alone / fluid[0] - 1) * 100:+5.0f} %  {queues[0]:11.1f}  {(alone / queues[0] - 1) * 100:+5.0f} %"
                  f"  {pair:8.1f}  {fluid[1]:8.1f}  {(pair / fluid[1] - 1) * 100:+5.0f} %  {queues[1]:11.1f}  {(pair / queues[1] - 1) * 100:+5.0f} %")
    except KeyboardInterrupt:
        return 130
    finally:
        for q in hogs + [worker]:
            q.kill()
            q.wait()
        for d in groups:
            os.rmdir(d)   # empty once its process has been reaped
    return 0


if __name__ == "__main__":
    sys.exit(main())
