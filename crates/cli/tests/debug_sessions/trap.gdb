# A trap is post-mortem: inspect, then the run ends with 134. Module: examples/wasm/trap.wasm
run
bt
info frame
disassemble
continue
