# gdb parity for casts and sizeof of types on examples/c/debugme.c (crates/cli/tests/gdb_parity.rs).
# (long and pointers are 4 bytes on wasm32 and 8 natively: no line here prints their size.)
break area
run
print (long)r->width
print (char)65
print (unsigned char)300
print (short)-70000
print (unsigned)-1
print (double)r->height
print (int)(double)r->height
print (_Bool)r->width
print (struct Point *)r
print *(struct Point *)r
print ((struct Point *)r)->y
print (enum Color)2
print (uint)r->width
print (char *)banner
print sizeof(int)
print sizeof(struct Rect)
print sizeof (short)
print (long long)counter << 40
whatis (char)65
whatis (struct Point *)r
whatis (unsigned long)1
print (r->width)
print (counter) * 2
finish
print (float)ratio
print (int)ratio
print (union Number)num
print (struct Node *)0
continue
