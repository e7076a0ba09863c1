# inline.c at -O2: inlined frames, optimized-out values, every x/ format. Module: examples/wasm/inline.wasm 1
break leaf
run
bt
info args
info locals
finish
x/4xb &rounds_v
x/2xh &rounds_v
x/1xw &rounds_v
x/1xg &rounds_v
x/4db &rounds_v
x/1uw &rounds_v
x/2cb &rounds_v
print rounds_v
print &rounds_v
kill
