# A breakpoint in a preloaded module. Module: --preload lib=examples/wasm/lib.wasm examples/wasm/driver.wasm
break lib_work
run
bt
info args
finish
delete
continue
