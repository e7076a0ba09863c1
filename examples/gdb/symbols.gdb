# gdb parity for pointers into global variables labelled <symbol> on examples/c/debugme.c
# (crates/cli/tests/gdb_parity.rs).
break area
run
print &counter
print &banner
print/x &counter
print/a &counter
output &counter
x/1dw &counter
continue
