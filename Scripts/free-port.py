#!/usr/bin/env python3
"""Prints a TCP port that nothing holds, for a server the calling script starts next.

Not the kernel's port-0 choice: that comes from the ephemeral range, which the kernel also
hands to every outgoing connection, so it can be taken before the server binds it. Like
`headroom serve` for its workers (Sources/Runtime/Workers/WorkerPorts.swift), this picks
from the 8,192 ports just below the ephemeral range, one that a plain bind without
SO_REUSEADDR accepts (no listener, no bound socket, no TIME_WAIT).
"""
import random
import socket
import sys

try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768  # Linux's default
top, bottom = low - 1, max(1024, low - 8192)
if top - bottom < 255:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    sys.exit(0)
for _ in range(1000):
    port = random.randint(bottom, top)
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit("free-port: no free port in %d-%d" % (bottom, top))
