(module
  (type (;0;) (func (param i32)))
  (type $t (;1;) (func (param i32) (result i32)))
  (import "wobs" "enter" (func (;0;) (type 0)))
  (import "wobs" "exit" (func (;1;) (type 0)))
  (table (;0;) 1 funcref)
  (export "direct" (func $direct))
  (export "indirect" (func $indirect))
  (elem (;0;) (i32.const 0) func $leaf)
  (func $indirect (;2;) (type $t) (param i32) (result i32)
    i32.const 2
    call 0
    block (result i32) ;; label = @1
      local.get 0
      i32.const 0
      i32.const 2
      call 1
      return_call_indirect (type $t)
    end
    i32.const 2
    call 1
  )
  (func $direct (;3;) (type $t) (param i32) (result i32)
    i32.const 1
    call 0
    block (result i32) ;; label = @1
      local.get 0
      i32.const 1
      call 1
      return_call $leaf
    end
    i32.const 1
    call 1
  )
  (func $leaf (;4;) (type $t) (param i32) (result i32)
    i32.const 0
    call 0
    block (result i32) ;; label = @1
      local.get 0
      i32.const 2
      i32.mul
    end
    i32.const 0
    call 1
  )
    (processed-by "walrus" "0.28.0")
  )
)
