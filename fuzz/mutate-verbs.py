#!/usr/bin/env python3
"""Byte-mutated example modules (and mutated recordings) through every wobs verb.

Takes the committed `examples/wasm/*.wasm`, applies seeded mutations (byte flips, inserts,
deletes, overwrites, truncations, bad section sizes; targeted at the code section, at the
`.debug_*` custom sections so DWARF breaks while the module still validates, at the name section,
and at `i32.const` immediates so the program still validates but behaves differently) and runs
each mutant through

    run, run --trace, instrument, debug --batch (break/run/bt/info locals/next/step/finish/...),
    bench

with a hard timeout. Recordings written by `wobs run -o` are mutated as JSON (truncation, changed
numbers, huge or negative indices, wrong types, deleted fields) and go through `wobs report` with
every output it writes; an output must be written complete or not at all.

Every run is classified: `signal` (killed by a signal: abort, SIGSEGV), `panic` ("panicked" on
stderr), `hang` (still running at the hard timeout), `badexit` (exit 1 without a one-line
`error:` message, or a torn report output), else `ok`. Inputs that were not `ok` are copied to
OUT/failures/<verb>/ with the command line beside them.

Standard library only. Usage:

    cargo build --release -p wobs
    fuzz/mutate-verbs.py --wobs $CARGO_TARGET_DIR/release/wobs --mutants 200 --recordings 100

See fuzz/README.md.
"""

import argparse
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Modules that run in well under a second (the driver runs every verb on each mutant).
DEFAULT_MODULES = [
    "debugme", "exit_code", "trap", "fib", "clock_random", "twice_partial", "lib", "reactor",
    "twice_nodebug", "twice_nonames", "chain", "recursion", "inline", "lines", "wait_input",
    "malloc_heavy", "pipeline", "driver",
]

# The debug session every mutant goes through (the integration test uses the same file).
DEBUG_SCRIPT = ROOT / "fuzz" / "corpus" / "session.gdb"

GUEST_VERBS = ["run", "trace", "instrument", "debug", "bench"]


# ---------------------------------------------------------------- wasm layout


def leb(data, pos):
    """Reads an unsigned LEB128 at pos: (value, next position) or None."""
    value = shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos
        if shift > 35:
            return None
    return None


def sections(data):
    """[(id, name, payload_start, payload_end, size_field_start)] of a module's sections."""
    out = []
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size_at = pos + 1
        read = leb(data, size_at)
        if read is None:
            break
        size, start = read
        end = start + size
        if end > len(data):
            break
        name = ""
        if sid == 0:
            read = leb(data, start)
            if read:
                nlen, npos = read
                name = data[npos:npos + nlen].decode("utf-8", "replace")
        out.append((sid, name, start, end, size_at))
        pos = end
    return out


# ---------------------------------------------------------------- mutations


def mutate_range(rng, data, start, end, ops, keep_size):
    """Applies `ops` random byte edits inside data[start:end]; with keep_size only in place."""
    for _ in range(ops):
        if end <= start:
            break
        at = rng.randrange(start, end)
        kind = rng.choice(["flip", "set"] if keep_size else ["flip", "set", "insert", "delete"])
        if kind == "flip":
            data[at] ^= 1 << rng.randrange(8)
        elif kind == "set":
            data[at] = rng.choice([0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)])
        elif kind == "insert":
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
            end += 1
        else:
            n = rng.randint(1, 16)
            del data[at:at + n]
            end = max(start, end - n)
    return data


def mutate_module(rng, original):
    """(strategy, mutated bytes)."""
    data = bytearray(original)
    secs = sections(data)
    code = [s for s in secs if s[0] == 10]
    debug = [s for s in secs if s[0] == 0 and s[1].startswith(".debug_")]
    names = [s for s in secs if s[0] == 0 and s[1] == "name"]
    strategies = ["bytes", "truncate", "size"]
    if code:
        strategies += ["code", "code", "const", "const", "const"]
    if debug:
        strategies += ["debug", "debug", "debug"]
    if names:
        strategies += ["name"]
    strategy = rng.choice(strategies)
    if strategy == "bytes":
        mutate_range(rng, data, 0 if rng.random() < 0.05 else 8, len(data), rng.randint(1, 6), False)
    elif strategy == "truncate":
        data = data[:rng.randrange(len(data))]
    elif strategy == "size":
        _, _, start, end, size_at = rng.choice(secs)
        read = leb(data, size_at)
        width = read[1] - size_at
        new = rng.choice([0, 1, end - start - 1, end - start + 1, 0xFFFFFFF, rng.randrange(1 << 20)])
        encoded = bytearray()
        for i in range(width):
            byte = (new >> (7 * i)) & 0x7F
            encoded.append(byte | (0x80 if i + 1 < width else 0))
        data[size_at:size_at + width] = encoded
    elif strategy == "code":
        _, _, start, end, _ = code[0]
        mutate_range(rng, data, start, end, rng.randint(1, 4), rng.random() < 0.7)
    elif strategy == "const":
        # i32.const immediates (opcode 0x41): the module stays valid, the program changes (loop
        # bounds, sizes, call arguments), so it may loop, trap or recurse deeply.
        _, _, start, end, _ = code[0]
        spots = [i for i in range(start, end - 1) if data[i] == 0x41]
        for at in rng.sample(spots, min(len(spots), rng.randint(1, 8))):
            byte = data[at + 1]
            data[at + 1] = (byte & 0x80) | rng.choice([0x00, 0x01, 0x3F, 0x40, 0x7F, rng.randrange(128)])
    elif strategy == "debug":
        for _ in range(rng.randint(1, 3)):
            _, _, start, end, _ = rng.choice(debug)
            mutate_range(rng, data, start, end, rng.randint(1, 40), True)
    elif strategy == "name":
        _, _, start, end, _ = names[0]
        mutate_range(rng, data, start, end, rng.randint(1, 10), True)
    return strategy, bytes(data)


HUGE = [2**32 - 1, 2**32, 2**53, 2**63 - 1, 2**64 - 1, -1, -(2**31), 10**30, 1e308, 0.5]


def json_paths(value, path=()):
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from json_paths(child, path + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from json_paths(child, path + (index,))


def mutate_recording(rng, text):
    """(strategy, mutated text) of a recording."""
    strategy = rng.choice(["truncate", "bytes", "value", "value", "value", "index", "index", "delete", "type"])
    if strategy == "truncate":
        return strategy, text[:rng.randrange(len(text))]
    if strategy == "bytes":
        data = bytearray(text.encode())
        mutate_range(rng, data, 0, len(data), rng.randint(1, 5), False)
        return strategy, data.decode("utf-8", "replace")
    doc = json.loads(text)
    for _ in range(rng.randint(1, 4)):
        paths = [(p, v) for p, v in json_paths(doc) if p]
        if strategy == "index":
            # Indices into frames/stacks/functions: out of range, huge, negative.
            paths = [
                (p, v) for p, v in paths
                if isinstance(v, int) and any(
                    k in ("stack", "frames", "function", "caller", "callee", "module", "index")
                    for k in p if isinstance(k, str))
            ] or paths
        elif strategy == "value":
            paths = [(p, v) for p, v in paths if isinstance(v, (int, float))] or paths
        path, value = rng.choice(paths)
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        if strategy == "delete":
            del parent[key]
        elif strategy == "type":
            parent[key] = rng.choice([None, "x", [], {}, True, 1.5, [1, 2], {"a": 1}])
        elif strategy == "index":
            parent[key] = rng.choice([len(doc.get("frames", [])), 2**32 - 1, 2**32, -1, 10**6, 2**64 - 1])
        else:
            parent[key] = rng.choice(HUGE + [value + 1 if isinstance(value, int) else 0])
    return strategy, json.dumps(doc)


# ---------------------------------------------------------------- running


def classify(proc_code, stderr, hung, stdout=""):
    if hung:
        return "hang"
    if proc_code < 0:
        return "signal"
    if "panicked" in stderr:
        return "panic"
    if proc_code == 1:
        # `debug` prints its messages on stdout, after the guest's own output (which need not end
        # in a newline), so there the message may start mid-line.
        errors = [l for l in stderr.splitlines() if l.startswith("error:")]
        errors += [l for l in stdout.splitlines() if "error: " in l]
        if len(errors) != 1:
            return "badexit"
    return "ok"


def run(cmd, limit, cwd, env, stdin=subprocess.DEVNULL):
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=limit)
        hung = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
        hung = True
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), hung, time.monotonic() - started


def guest_command(wobs, verb, module, work, guest_timeout):
    t = f"{guest_timeout}s"
    if verb == "run":
        return [wobs, "run", "-q", "--timeout", t, str(module)]
    if verb == "trace":
        return [wobs, "run", "-q", "--trace", "--timeout", t, str(module)]
    if verb == "instrument":
        return [wobs, "instrument", str(module), "-o", str(work / "out.wasm")]
    if verb == "debug":
        return [wobs, "debug", "--batch", "--timeout", t, "-x", str(work / "session.gdb"), str(module)]
    if verb == "bench":
        return [wobs, "bench", "--timeout", t, "--json", str(work / "bench.json"), str(module)]
    raise ValueError(verb)


REPORT_OUTPUTS = {
    "flamegraph": "out.svg",
    "folded": "out.folded",
    "speedscope": "out.speedscope.json",
    "chrome-trace": "out.trace.json",
    "pprof": "out.pb.gz",
}


def torn_outputs(work, code):
    """Names of report outputs that exist but are incomplete (or are missing after exit 0)."""
    torn = []
    for flag, name in REPORT_OUTPUTS.items():
        path = work / name
        if not path.exists():
            if code == 0:
                torn.append(flag + " (missing)")
            continue
        try:
            data = path.read_bytes()
            if flag == "flamegraph":
                ET.fromstring(data)
            elif flag in ("speedscope", "chrome-trace"):
                json.loads(data)
            elif flag == "pprof":
                gzip.decompress(data)
            elif flag == "folded":
                for line in data.decode().splitlines():
                    int(line.rsplit(" ", 1)[1])
        except Exception as err:  # noqa: BLE001 - any failure means torn
            torn.append(f"{flag} ({type(err).__name__})")
        path.unlink()
    return torn


def report_command(wobs, rec, work):
    cmd = [wobs, "report", str(rec), "--format", "json"]
    for flag, name in REPORT_OUTPUTS.items():
        cmd += [f"--{flag}", str(work / name)]
    return cmd


def save_failure(out, verb, name, data, cmd, verdict, stderr):
    folder = out / "failures" / verb
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    (folder / (name + ".txt")).write_text(f"{verdict}\n{' '.join(map(str, cmd))}\n\n{stderr[-4000:]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wobs", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"), "release", "wobs"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mutants", type=int, default=60, help="mutated modules")
    parser.add_argument("--recordings", type=int, default=60, help="mutated recordings")
    parser.add_argument("--verbs", default=",".join(GUEST_VERBS))
    parser.add_argument("--modules", default=",".join(DEFAULT_MODULES))
    parser.add_argument("--guest-timeout", type=int, default=5, help="--timeout given to wobs, s")
    parser.add_argument("--hard-timeout", type=int, default=40, help="kill after, s")
    parser.add_argument("--out", default=None, help="results folder (default: a temp dir)")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    out = Path(args.out or tempfile.mkdtemp(prefix="wobs-fuzz-"))
    out.mkdir(parents=True, exist_ok=True)
    work = out / "work"
    work.mkdir(exist_ok=True)
    shutil.copy(DEBUG_SCRIPT, work / "session.gdb")
    env = dict(os.environ, WOBS_CACHE_DIR=str(out / "cache"))
    for name in list(env):
        if name.startswith("OTEL_"):
            del env[name]
    verbs = [v for v in args.verbs.split(",") if v]
    modules = [ROOT / "examples" / "wasm" / f"{m}.wasm" for m in args.modules.split(",") if m]
    counts = {}
    log = open(out / "runs.jsonl", "w")

    def record(verb, name, strategy, cmd, result, verdict, data):
        code, _, stderr, hung, secs = result
        counts.setdefault(verb, {}).setdefault(verdict, 0)
        counts[verb][verdict] += 1
        log.write(json.dumps({"verb": verb, "input": name, "strategy": strategy, "code": code,
                              "verdict": verdict, "secs": round(secs, 2)}) + "\n")
        log.flush()
        if verdict != "ok":
            print(f"  {verdict:7} {verb:10} {name} ({strategy}) exit {code}: "
                  f"{stderr.strip().splitlines()[-1:] if stderr.strip() else ''}", flush=True)
            save_failure(out, verb, name, data, cmd, verdict, stderr)

    for i in range(args.mutants):
        base = rng.choice(modules)
        strategy, data = mutate_module(rng, base.read_bytes())
        name = f"{i:04}-{base.stem}-{strategy}.wasm"
        path = work / "mutant.wasm"
        path.write_bytes(data)
        print(f"[{i + 1}/{args.mutants}] {name} ({len(data)} bytes)", flush=True)
        for verb in verbs:
            cmd = guest_command(args.wobs, verb, path, work, args.guest_timeout)
            result = run(cmd, args.hard_timeout, ROOT, env)
            record(verb, name, strategy, cmd, result, classify(result[0], result[2], result[3], result[1]), data)

    # Recordings: a plain and a traced one per base module, then mutated JSON through report.
    bases = []
    for module in modules[:6]:
        for extra in ([], ["--trace"]):
            rec = work / f"base-{module.stem}{'-trace' if extra else ''}.json"
            cmd = [args.wobs, "run", "-q", "--interval", "100us", "--timeout", "5s", *extra,
                   "-o", str(rec), str(module)]
            run(cmd, args.hard_timeout, ROOT, env)
            if rec.exists():
                bases.append(rec)
    for i in range(args.recordings if bases else 0):
        base = rng.choice(bases)
        strategy, text = mutate_recording(rng, base.read_text())
        name = f"{i:04}-{base.stem}-{strategy}.json"
        rec = work / "mutant.json"
        rec.write_text(text)
        print(f"[report {i + 1}/{args.recordings}] {name}", flush=True)
        cmd = report_command(args.wobs, rec, work)
        result = run(cmd, args.hard_timeout, ROOT, env)
        verdict = classify(result[0], result[2], result[3], result[1])
        torn = torn_outputs(work, result[0])
        if verdict == "ok" and torn:
            verdict = "badexit"
            result = result[:2] + (result[2] + f"\ntorn outputs: {torn}",) + result[3:]
        record("report", name, strategy, cmd, result, verdict, text.encode())

    log.close()
    print(f"\nresults in {out}")
    print(f"{'verb':12}" + "".join(f"{v:>9}" for v in ["runs", "ok", "signal", "panic", "hang", "badexit"]))
    bad = 0
    for verb, c in counts.items():
        total = sum(c.values())
        bad += total - c.get("ok", 0)
        print(f"{verb:12}{total:>9}" + "".join(f"{c.get(v, 0):>9}" for v in ["ok", "signal", "panic", "hang", "badexit"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
