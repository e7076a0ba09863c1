;; Every way out of a function: fallthrough, `return` in nested blocks, `br` / `br_if` / `br_table`
;; to the function label (depth = nesting), with values on the stack.
(module
  (func $fallthrough (export "fallthrough") (param i32) (result i32)
    local.get 0
    i32.const 1
    i32.add)
  (func $early_return (export "early_return") (param i32) (result i32)
    block
      local.get 0
      i32.eqz
      if
        i32.const 42
        return
      end
    end
    local.get 0)
  (func $br_to_body (export "br_to_body") (param i32) (result i32)
    i32.const 7
    local.get 0
    br_if 0
    drop
    block (result i32)
      i32.const 9
      br 1
    end)
  (func $table (export "table") (param i32) (result i32)
    block (result i32)
      block (result i32)
        i32.const 5
        local.get 0
        br_table 0 1 2
      end
      i32.const 10
      i32.add
      return
    end
    i32.const 20
    i32.add)
  (func $multi (export "multi") (param i32) (result i32 i32)
    local.get 0
    local.get 0
    local.get 0
    br_if 0
    i32.const 1
    i32.add))
