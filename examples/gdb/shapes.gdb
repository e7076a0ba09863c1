# gdb parity for C++ (examples/cpp/shapes.cpp, built without exceptions and RTTI): breakpoints by unqualified, qualified and
# overloaded names, template instances, methods past their prologue, references and `this`.
break measure
break geo::Rect::area
break biggest
break total_area
run
bt
print a.id
print b.id
continue
bt
print this->w
print this->h
print w
print id
print h * w + id
whatis *this
ptype *this
ptype this
ptype geo::Shape
print *this
finish
continue
continue
info args
finish
continue
bt
finish
continue
print a
print b
finish
delete
continue
