# gdb parity for watchpoints on examples/c/debugme.c (crates/cli/tests/gdb_parity.rs); the
# watch is set after `total = 0` ran, so its old value is known on both.
break sum_list
run
next
watch total
watch counter
info breakpoints
continue
continue
bt
info watchpoints
delete 3
continue
# sum_list returns: the watch on its local ends there.
continue
info watchpoints
continue
