# wobs benchmark component (componentize-py, world wasi:cli/command): deterministic, CPU-bound,
# pure-Python work that keeps CPython's eval loop busy for about 1-2 s under wasmtime, then prints
# one line. The work is in run(): componentize-py pre-initializes the module at build time, so
# anything at module level would run then, not under wobs.
from wit_world import exports

N_PRIMES = 250000  # primes below this, by trial division
STEPS = 120000    # steps of the small stack machine below


def count_primes(n: int) -> int:
    count = 0
    for k in range(2, n):
        d = 2
        while d * d <= k:
            if k % d == 0:
                break
            d += 1
        else:
            count += 1
    return count


def stack_machine(steps: int) -> int:
    # A tiny interpreter: a loop of instructions dispatched by name (dict lookups, list push/pop).
    prog = [("push", 7), ("mul", None), ("push", 13), ("add", None), ("push", 1000003),
            ("mod", None), ("dup", None), ("acc", None)]
    stack = [1]
    acc = 0
    for _ in range(steps):
        for op, arg in prog:
            if op == "push":
                stack.append(arg)
            elif op == "dup":
                stack.append(stack[-1])
            elif op == "acc":
                acc = (acc + stack.pop()) & 0xFFFFFFFF
            else:
                b = stack.pop()
                a = stack.pop()
                stack.append(a * b if op == "mul" else a + b if op == "add" else a % b)
    return acc


class Run(exports.Run):
    def run(self) -> None:
        print(f"python: primes<{N_PRIMES}={count_primes(N_PRIMES)} machine={stack_machine(STEPS)}")
