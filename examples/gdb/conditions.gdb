# gdb parity for breakpoint conditions, `display` and `output` on examples/c/debugme.c
# (crates/cli/tests/gdb_parity.rs).
break debugme.c:83
break sum_list if head == 0
# Tested (false) on the way to line 83.
tbreak area if r->width > 100
info breakpoints
run
display counter
display/x rect.width
output numbers[1]
output/x counter
# Stops in the loop at its second element, in the middle of a `next`.
break debugme.c:50 if n->value == 20
next
print total
print n->value
display total
info breakpoints
# False at the third element: `finish` goes on to the caller.
condition 4 n != 0 && n->value == 99
finish
next
info display
undisplay 1
condition 4
info breakpoints
next
undisplay
info display
continue
