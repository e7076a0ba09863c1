# gdb parity for assignments (set var, print x = y) on examples/c/debugme.c: values in linear memory
# written as C converts them (crates/cli/tests/gdb_parity.rs).
break area
run
set var r->width = 9
print r->width
print *r
set var w = 3
print r->height = 7
set var r->color = 0
print r->color
finish
print rect
set variable numbers[2] = -1
print numbers
set var ratio = 7
print ratio
set var half = ratio
print half
set var counter = counter * 2 + 1
print counter
set var rect.origin = p
print rect.origin
set var cursor = &numbers[3]
print *cursor
set var a = 5
continue
