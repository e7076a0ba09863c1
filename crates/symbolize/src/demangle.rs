//! Human-readable names from mangled ones.

/// Demangles Rust (legacy and v0) and Itanium C++ names; anything else comes back unchanged.
///
/// Rust legacy names also look like C++ (`_ZN…E`), so Rust is tried first; its hash suffix is
/// dropped because it only makes names longer and profiles harder to merge by eye.
pub fn demangle(name: &str) -> String {
    if let Ok(rust) = rustc_demangle::try_demangle(name) {
        return format!("{rust:#}");
    }
    if name.starts_with("_Z") {
        if let Ok(symbol) = cpp_demangle::Symbol::new(name) {
            if let Ok(text) = symbol.demangle() {
                return text;
            }
        }
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::demangle;

    #[test]
    fn rust_legacy_v0_cpp_and_plain() {
        assert_eq!(
            demangle("_ZN4demo6worker3run17h0123456789abcdefE"),
            "demo::worker::run"
        );
        assert_eq!(demangle("_RNvCs1234_4demo3run"), "demo::run");
        assert_eq!(demangle("_Z3addii"), "add(int, int)");
        assert_eq!(demangle("main"), "main");
        assert_eq!(demangle("_Zgarbage"), "_Zgarbage");
    }
}
