(module
  (type (;0;) (func (result i32 i32)))
  (type (;1;) (func (param i32)))
  (type (;2;) (func (param i32) (result i32)))
  (type (;3;) (func (param i32) (result i32 i32)))
  (import "wobs" "enter" (func (;0;) (type 1)))
  (import "wobs" "exit" (func (;1;) (type 1)))
  (export "fallthrough" (func $fallthrough))
  (export "early_return" (func $early_return))
  (export "br_to_body" (func $br_to_body))
  (export "table" (func $table))
  (export "multi" (func $multi))
  (func $table (;2;) (type 2) (param i32) (result i32)
    i32.const 3
    call 0
    block (result i32) ;; label = @1
      block (result i32) ;; label = @2
        block (result i32) ;; label = @3
          i32.const 5
          local.get 0
          br_table 0 (;@3;) 1 (;@2;) 2 (;@1;)
        end
        i32.const 10
        i32.add
        i32.const 3
        call 1
        return
      end
      i32.const 20
      i32.add
    end
    i32.const 3
    call 1
  )
  (func $early_return (;3;) (type 2) (param i32) (result i32)
    i32.const 1
    call 0
    block (result i32) ;; label = @1
      block ;; label = @2
        local.get 0
        i32.eqz
        if ;; label = @3
          i32.const 42
          i32.const 1
          call 1
          return
        else
        end
      end
      local.get 0
    end
    i32.const 1
    call 1
  )
  (func $br_to_body (;4;) (type 2) (param i32) (result i32)
    i32.const 2
    call 0
    block (result i32) ;; label = @1
      i32.const 7
      local.get 0
      br_if 0 (;@1;)
      drop
      block (result i32) ;; label = @2
        i32.const 9
        br 1 (;@1;)
      end
    end
    i32.const 2
    call 1
  )
  (func $multi (;5;) (type 3) (param i32) (result i32 i32)
    i32.const 4
    call 0
    block (type 0) (result i32 i32) ;; label = @1
      local.get 0
      local.get 0
      local.get 0
      br_if 0 (;@1;)
      i32.const 1
      i32.add
    end
    i32.const 4
    call 1
  )
  (func $fallthrough (;6;) (type 2) (param i32) (result i32)
    i32.const 0
    call 0
    block (result i32) ;; label = @1
      local.get 0
      i32.const 1
      i32.add
    end
    i32.const 0
    call 1
  )
    (processed-by "walrus" "0.28.0")
  )
)
