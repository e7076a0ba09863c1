# gdb parity for floating-point and pointer arithmetic in expressions on examples/c/debugme.c
# (crates/cli/tests/gdb_parity.rs).
break debugme.c:82
run
print ratio * 2
print half + 1
print ratio / 4
print -ratio
print ratio > 2
print half == 0.5
print ratio - half * 2
print (float)1 / 3
print 1 / (double)3
print ratio + big
print cursor + 1
print *(cursor + 1)
print cursor - 1
print numbers + 2
print *(numbers + 3)
print &numbers[3] - cursor
print cursor - &numbers[0]
print greeting + 1
print *(greeting + 4)
print 2 + cursor
print &grid[1][0] + 2
print *(&grid[1][0] + 2)
print (char *)greeting + 2
print &rect.origin + 1
print banner + 3
continue
