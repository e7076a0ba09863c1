# gdb parity: run by gdb on a native build of examples/c/debugme.c and by `wobs debug` on
# examples/wasm/debugme.wasm (crates/cli/tests/gdb_parity.rs); outputs must match line by line,
# except what examples/gdb/differences.txt lists.
break area
run
bt
info args
print *r
print r->width
print r->origin
finish
next
print a
info locals
print numbers
print numbers[2]
print greeting
print *greeting
print grid[1]
print rect.color
print first.next->value
print &rect
print rect.width * rect.height + 1
print p.x - p.y
print numbers[p.x + 1] / 7 % 4
print counter << 2 | 1
print ~counter ^ 0x0f
print counter > 5 && !(p.y == 3) || small < 0
print byte + 1
print big + 1
print -small
print/x counter
print/x -1
print/z counter
print/o counter
print/t counter
print/c letter
print/d byte
print/u small
print/x p
print/x numbers
print/x rect
print/x greeting
print/d color
whatis rect
whatis rect.origin
whatis numbers
whatis greeting
whatis &rect
whatis cursor
whatis byte + 1
whatis -small
whatis color
ptype rect
ptype &rect
ptype p
ptype numbers
ptype greeting
ptype color
ptype num
ptype first
ptype counter
ptype grid
print sizeof(rect)
print sizeof numbers / sizeof(numbers[0])
print sizeof(grid[1])
print 1u - 2
print 10 / 3u
print -1 < 0u
whatis 7u
break sum_list
continue
print *head
print head->next->value
next
next
info locals
bt full
bt 1
bt -1
bt full -1
frame 1
frame 0
finish
continue
