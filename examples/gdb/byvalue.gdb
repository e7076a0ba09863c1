# gdb parity for aggregates passed and returned by value (see examples/gdb/debugme.gdb).
break area
break box_perimeter
break low_byte
break flag_sum
break midpoint
run
info args
print a
print b.y
bt
finish
continue
info args
print a
print b
continue
info args
print box.label
print box.size
print box.corner.y
continue
print bits
print bits.word
print bits.bytes[1]
continue
print flags
print flags.mode
print flags.level
ptype flags
ptype flags.mode
finish
continue
