# The command file fuzz/mutate-verbs.py and crates/cli/tests/bad_input.rs give `wobs debug --batch -x`.
break main
run
bt
info locals
next
next
step
finish
info frame
continue
