# gdb parity for ptype of C++ classes (examples/cpp/accounts.cpp; crates/cli/tests/gdb_parity.rs).
break shop::Account::deposit
run
ptype *this
ptype shop::Point
ptype shop::Empty
whatis this
up
ptype a
ptype p
ptype e
continue
