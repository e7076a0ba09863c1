# gdb parity for an always-inline function in examples/c/debugme.c (crates/cli/tests/gdb_parity.rs):
# stepping into it, its frame in a backtrace, `next` inside it and out of it.
break debugme.c:84
run
step
bt
next
next
next
continue
