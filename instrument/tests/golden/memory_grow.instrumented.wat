(module
  (type (;0;) (func (param i32)))
  (type (;1;) (func (param i32) (result i32)))
  (type (;2;) (func (param i32 i32)))
  (import "wobs" "enter" (func (;0;) (type 0)))
  (import "wobs" "exit" (func (;1;) (type 0)))
  (import "wobs" "memory_grow" (func (;2;) (type 2)))
  (memory (;0;) 1)
  (export "grow" (func $grow))
  (func $grow (;3;) (type 1) (param i32) (result i32)
    (local i32 i32)
    i32.const 0
    call 0
    block (result i32) ;; label = @1
      local.get 0
      local.tee 1
      memory.grow
      local.tee 2
      local.get 1
      local.get 2
      call 2
    end
    i32.const 0
    call 1
  )
    (processed-by "walrus" "0.28.0")
  )
)
