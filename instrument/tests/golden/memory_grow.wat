;; With --memory, memory.grow reports pages requested and the result; the result stays on the stack.
(module
  (memory 1)
  (func $grow (export "grow") (param i32) (result i32)
    local.get 0
    memory.grow))
