# containers.cpp: libc++'s std::string and std::vector as libc++'s gdb pretty printers show them (values by construction). Module: examples/wasm/containers.wasm
break count_items
run
info args
print order
print order.customer
print order.quantities
print tags
print/x order.quantities
finish
print short_text
print long_text
print primes
print empty
whatis short_text
continue
