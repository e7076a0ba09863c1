;; Tail calls leave the caller before the callee runs: the exit probe goes before return_call*.
(module
  (type $t (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $leaf)
  (func $leaf (type $t)
    local.get 0
    i32.const 2
    i32.mul)
  (func $direct (export "direct") (param i32) (result i32)
    local.get 0
    return_call $leaf)
  (func $indirect (export "indirect") (param i32) (result i32)
    local.get 0
    i32.const 0
    return_call_indirect (type $t)))
