#!/usr/bin/env python3
"""Times commands side by side, interleaved: every round runs each command once, in a fresh random
order, so that a machine getting slower or faster during the measurement (other tenants, thermal
state, page cache) weighs on all commands alike. Ratios are paired: each round's time of a command
over the same round's time of the baseline (the first command), and the median of those is
printed, with the spread of the middle half.

    interleave.py [--runs N] [--warmup N] [--label TEXT] NAME=COMMAND [NAME=COMMAND ...]

Prints one tab-separated line: label, the median seconds of each command, then each non-baseline
command's ratio as `1.023x (1.01-1.04)`. With --header, first a header line. A command that fails
(non-zero exit other than the expected one, see --expect) stops the measurement with its stderr.
"""
import argparse
import random
import shlex
import statistics
import subprocess
import sys
import time


def quartiles(values):
    values = sorted(values)
    if len(values) < 4:
        return values[0], values[-1]
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--label", default="")
    parser.add_argument("--header", action="store_true")
    parser.add_argument("--expect", type=int, default=0, help="the exit code every command gives")
    parser.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = parser.parse_args()
    named = [c.split("=", 1) for c in args.commands]
    if any(len(pair) != 2 for pair in named):
        sys.exit("interleave.py: each command is NAME=COMMAND")

    def run(command):
        start = time.perf_counter()
        done = subprocess.run(shlex.split(command), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        took = time.perf_counter() - start
        if done.returncode != args.expect:
            sys.exit(f"interleave.py: `{command}` exited {done.returncode}: {done.stderr.decode()[-500:]}")
        return took

    for _ in range(args.warmup):
        for _, command in named:
            run(command)
    times = {name: [] for name, _ in named}
    order = list(range(len(named)))
    for _ in range(args.runs):
        random.shuffle(order)
        for i in order:
            name, command = named[i]
            times[name].append(run(command))
    base = named[0][0]
    if args.header:
        columns = [f"{name} (s)" for name, _ in named] + [f"{name}/{base}" for name, _ in named[1:]]
        print("\t".join(["program"] + columns))
    cells = [args.label] + [f"{statistics.median(times[name]):.3f}" for name, _ in named]
    for name, _ in named[1:]:
        ratios = [t / b for t, b in zip(times[name], times[base])]
        low, high = quartiles(ratios)
        cells.append(f"{statistics.median(ratios):.3f}x ({low:.2f}-{high:.2f})")
    print("\t".join(cells), flush=True)


if __name__ == "__main__":
    main()
