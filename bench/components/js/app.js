// wobs benchmark component (componentize-js / StarlingMonkey, world wasi:cli/command): deterministic,
// CPU-bound JS work for about 1-2 s under wasmtime, then one line on stdout. The work is in run():
// componentize-js pre-initializes the module at build time (Wizer), so top-level code runs then.
const N_PRIMES = 100000; // primes below this, by trial division
const STEPS = 50000; // steps of the small stack machine below

function countPrimes(n) {
  let count = 0;
  for (let k = 2; k < n; k++) {
    let prime = true;
    for (let d = 2; d * d <= k; d++) {
      if (k % d === 0) { prime = false; break; }
    }
    if (prime) count++;
  }
  return count;
}

function stackMachine(steps) {
  // A tiny interpreter: a loop of instructions dispatched by name (string compares, array push/pop).
  const prog = [["push", 7], ["mul"], ["push", 13], ["add"], ["push", 1000003], ["mod"], ["dup"], ["acc"]];
  const stack = [1];
  let acc = 0;
  for (let s = 0; s < steps; s++) {
    for (const [op, arg] of prog) {
      if (op === "push") stack.push(arg);
      else if (op === "dup") stack.push(stack[stack.length - 1]);
      else if (op === "acc") acc = (acc + stack.pop()) >>> 0;
      else {
        const b = stack.pop(), a = stack.pop();
        stack.push(op === "mul" ? a * b : op === "add" ? a + b : a % b);
      }
    }
  }
  return acc;
}

export const run = {
  run() {
    console.log(`js: primes<${N_PRIMES}=${countPrimes(N_PRIMES)} machine=${stackMachine(STEPS)}`);
  },
};
