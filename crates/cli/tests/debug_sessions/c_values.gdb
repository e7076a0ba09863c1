# debugme.c at -O0: every command on C values. Module: examples/wasm/debugme.wasm
list
break area
tbreak debugme.c:44
info breakpoints
run
info args
print *r
print r->origin
print r->width * 2
continue
info locals
print result
finish
print $1
frame 0
info locals
print numbers[2]
print &numbers[1]
print *cursor
print greeting
print grid[1]
print first.next->next->value
print num
print buffer
print nosuch
x/4dw numbers
x/6cb greeting
break twice
continue
bt
finish
step
next
stepi
nexti
delete
continue
