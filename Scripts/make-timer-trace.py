#!/usr/bin/env python3
"""Writes Scenarios/traces/timer-apps.csv: invocations of 12 function apps over 12 hours.

Most apps in the Azure Functions trace are invoked on timers or at steady rates (Shahrad
et al., ATC 2020, §3): here eight apps fire every 2, 4, 7, 12, 15, 20, 30 and 45 minutes with
±15 s of jitter, and four fire at random (Poisson) with mean gaps of 3, 8, 25 and 90
minutes. Deterministic (seed 2020); run again to regenerate the same file.
"""
import random

rng = random.Random(2020)
hours = 12
rows = []
for k, period in enumerate([2, 4, 7, 12, 15, 20, 30, 45]):
    t = rng.uniform(0, period * 60)
    while t < hours * 3600:
        rows.append((t + rng.uniform(-15, 15), f"timer{k}"))
        t += period * 60
for k, gap in enumerate([3, 8, 25, 90]):
    t = rng.expovariate(1 / (gap * 60))
    while t < hours * 3600:
        rows.append((t, f"random{k}"))
        t += rng.expovariate(1 / (gap * 60))
rows = sorted((max(0.0, t), name) for t, name in rows)
with open("Scenarios/traces/timer-apps.csv", "w") as f:
    f.write("time,target\n")
    for t, name in rows:
        f.write(f"{t:.3f},{name}\n")
print(len(rows), "rows")
