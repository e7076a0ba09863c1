# gdb parity for an always-inline function in examples/c/debugme.c (crates/cli/tests/gdb_parity.rs):
# stepping into it, its frame in a backtrace, selecting frames, `next` inside it and out of it.
break debugme.c:84
run
step
bt
# Frames are counted as the backtrace numbers them: `up` from the inlined call is its caller.
up
print a
down
print v
frame 1
frame 0
info args
next
next
next
continue
