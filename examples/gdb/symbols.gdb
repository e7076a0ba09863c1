# gdb parity for pointers into global variables labelled <symbol>, and functions as values, on
# examples/c/debugme.c
# (crates/cli/tests/gdb_parity.rs).
break area
run
print &counter
print &banner
print/x &counter
print/a &counter
output &counter
x/1dw &counter
# Functions as values: their address is their code (a module offset in wasm).
print area
print &area
print *area
whatis area
ptype sum_list
print main
output area
continue
