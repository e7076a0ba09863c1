# gdb parity for ptype and whatis of type names (not expressions) on examples/c/debugme.c
# (crates/cli/tests/gdb_parity.rs).
break area
run
ptype struct Point
whatis struct Point
ptype uint
whatis uint
ptype struct Rect *
whatis enum Color
ptype union Number
whatis unsigned long
ptype int
continue
