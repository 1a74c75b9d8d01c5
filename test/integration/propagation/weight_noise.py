# SPDX-License-Identifier: BSD-3-Clause
"""How far the real-resolver test's estimate can miss from sampling alone.

routerd learns a resolver's demand from one wait per cache cycle: the time
from the whole second its copy expired on to the next client query, which
for Poisson clients is exponential with mean 1 / rate. This draws those
waits for propagation.py's load (the rates and holds of run.sh's table,
over the learning phase and the half minute after the flip that a report
covers), applies routerd's estimator to them (track.c and prop.c's
demand_of: (n - 1) / excess, pooled over A and AAAA, which wait together),
and reports how often, with perfect hold times and flip bookkeeping:

- the worst error of the expected share over the curve exceeds a bound
  (each resolver leaves the old side at a random phase of its hold, and
  the estimate errs by the weights of those still holding);
- the learned weights' Spearman correlation with the true ones falls
  under 0.5;
- another resolver outweighs the heaviest.

It needs no daemon: python3 weight_noise.py [RUNS] [SEED] [SECONDS].
"""

import random
import sys

# name: (lookups/s, hold s): propagation.py's Zipf load, run.sh's holds.
RESOLVERS = {"unbound": (10.95, 9), "kresd": (5.47, 21), "named": (3.65, 30),
             "pdns": (2.74, 15), "dnsmasq": (2.19, 11)}
SECONDS = 300 + 30  # learning, and the report's first half minute (argv[3]: other)


def learned_rate(rng, rate, hold, seconds):
    n = int(seconds / (hold + 1 / rate))  # cache cycles seen
    waits = [rng.expovariate(rate) for _ in range(n)]
    excess = sum(waits) - n * min(waits)
    num = 2 * (n - 1)  # A and AAAA: the same waits, counted twice
    return (num - 1) / (2 * excess)


def ranks(xs):
    """Each value's rank, 0 for the largest."""
    order = sorted(range(len(xs)), key=lambda i: -xs[i])
    out = [0] * len(xs)
    for rank, i in enumerate(order):
        out[i] = rank
    return out


def spearman(xs, ys):
    """The rank correlation of two lists of values (no ties assumed)."""
    rx, ry, n = ranks(xs), ranks(ys), len(xs)
    return 1 - 6 * sum((a - b) ** 2 for a, b in zip(rx, ry)) / (n * (n * n - 1))


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else SECONDS
    names = list(RESOLVERS)
    true_w = [RESOLVERS[k][0] for k in names]
    total = sum(true_w)
    bounds = (0.05, 0.1, 0.15, 0.2)
    beyond = dict.fromkeys(bounds, 0)
    low_rho = not_top = 0
    for _ in range(runs):
        est = [learned_rate(rng, *RESOLVERS[k], seconds) for k in names]
        all_est = sum(est)
        moves = sorted(range(len(names)), key=lambda i: rng.uniform(0, RESOLVERS[names[i]][1]))
        worst = 0.0
        for k in range(len(moves)):
            holding = moves[k:]
            worst = max(worst, abs(sum(est[i] for i in holding) / all_est -
                                   sum(true_w[i] for i in holding) / total))
        for b in bounds:
            beyond[b] += worst > b
        low_rho += spearman(true_w, est) < 0.5
        not_top += ranks(est)[ranks(true_w).index(0)] != 0
    print("%d runs of the test's load, weights from %.0f s of sampled waits only" % (runs, seconds))
    for b in bounds:
        print("  worst curve error beyond %.2f: %5.2f%% of runs" % (b, 100.0 * beyond[b] / runs))
    print("  Spearman under 0.5:           %5.2f%%" % (100.0 * low_rho / runs))
    print("  heaviest not weighed heaviest: %5.2f%%" % (100.0 * not_top / runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
