# demo.rs (Rust, -O1): frames, mangled names demangled, Rust values. Module: examples/wasm/demo.wasm
break demo::workloads::Worker::work_two
run
bt
info args
print *self
print self.seed
print n
finish
continue
