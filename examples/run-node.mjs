// run-node.mjs — run the example guests under Node's WASI (preview1), as a
// cross-check for the expected results in README.md.  Needs Node >= 20.
//
//   node examples/run-node.mjs [--time] [--preload NAME=PATH]... [--invoke FUNC] MODULE.wasm [ARGS...]
//
// Command modules: runs _start with ARGS as argv[1..]; exits with the guest's
// exit code.  --invoke FUNC: calls _initialize (if exported) and then the
// export FUNC with ARGS parsed as integers; prints "FUNC(ARGS) = RESULT".
// --preload NAME=PATH instantiates PATH first (calling its _initialize) and
// provides its exports as import module NAME to MODULE.
// --time prints the wall time of the guest run to stderr.
// A trap prints "trap: <message>" plus the JS/wasm stack to stderr and exits 134.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const argv = process.argv.slice(2);
let time = false, invoke = null;
const preloads = [];
while (argv.length && argv[0].startsWith('--')) {
  const opt = argv.shift();
  if (opt === '--time') time = true;
  else if (opt === '--invoke') invoke = argv.shift();
  else if (opt === '--preload') {
    const spec = argv.shift() ?? '';
    const eq = spec.indexOf('=');
    if (eq <= 0) { console.error('--preload wants NAME=PATH'); process.exit(2); }
    preloads.push([spec.slice(0, eq), spec.slice(eq + 1)]);
  } else { console.error(`unknown option ${opt}`); process.exit(2); }
}
const modPath = argv.shift();
if (!modPath) {
  console.error('usage: node run-node.mjs [--time] [--preload NAME=PATH]... [--invoke FUNC] MODULE.wasm [ARGS...]');
  process.exit(2);
}

const newWasi = (args) => new WASI({ version: 'preview1', args, env: {}, returnOnExit: true });

const imports = {};
for (const [name, path] of preloads) {
  const wasi = newWasi([path]);
  const mod = await WebAssembly.compile(await readFile(path));
  const inst = await WebAssembly.instantiate(mod, { ...wasi.getImportObject() });
  if (inst.exports._initialize) wasi.initialize(inst);
  imports[name] = inst.exports;
}

const wasi = newWasi([modPath, ...argv]);
const mod = await WebAssembly.compile(await readFile(modPath));
const inst = await WebAssembly.instantiate(mod, { ...imports, ...wasi.getImportObject() });

const t0 = performance.now();
let code = 0;
try {
  if (invoke) {
    if (inst.exports._initialize) wasi.initialize(inst);
    const f = inst.exports[invoke];
    if (typeof f !== 'function') { console.error(`no exported function '${invoke}'`); process.exit(2); }
    const args = argv.map((a) => Number.parseInt(a, 10));
    console.log(`${invoke}(${args.join(', ')}) = ${f(...args)}`);
  } else {
    code = wasi.start(inst) ?? 0;
  }
} catch (e) {
  if (e instanceof WebAssembly.RuntimeError) {
    console.error(`trap: ${e.message}\n${e.stack}`);
    code = 134;
  } else throw e;
}
if (time) console.error(`time: ${((performance.now() - t0) / 1000).toFixed(3)} s`);
process.exitCode = code;
