# gdb parity for `step` (examples/c/steps.c, crates/cli/tests/gdb_parity.rs): into direct calls,
# through a loop, into a recursive call, through a function pointer, out of functions.
break main
run
step
step
step
step
step
step
step
step
bt
step
step
step
step
step
step
step
step
bt
step
step
step
step
step
step
step
print f
print *f
step
step
step
step
step
info locals
continue
