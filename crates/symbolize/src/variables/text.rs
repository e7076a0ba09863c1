//! Literal syntax for printed values: C character and string escapes, Rust string literals, and
//! floats printed the way gdb prints them (`%g` with 9 significant digits for `float`, 17 for
//! `double`).

use super::error::{EvalError, EvalResult};

/// A C character literal: `'A'`, `'\n'`, `'\000'`, `'\310'`.
pub(crate) fn c_char(byte: u8) -> String {
    format!("'{}'", escape_c(byte, '\''))
}

/// A C string literal of `bytes` (no terminating NUL): `"hello\n"`.
pub(crate) fn c_string_literal(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for &byte in bytes {
        out.push_str(&escape_c(byte, '"'));
    }
    out.push('"');
    out
}

/// One byte inside a C literal delimited by `quote`.
fn escape_c(byte: u8, quote: char) -> String {
    match byte {
        0x07 => "\\a".to_string(),
        0x08 => "\\b".to_string(),
        0x0c => "\\f".to_string(),
        b'\n' => "\\n".to_string(),
        b'\r' => "\\r".to_string(),
        b'\t' => "\\t".to_string(),
        0x0b => "\\v".to_string(),
        0x1b => "\\033".to_string(),
        b'\\' => "\\\\".to_string(),
        b if char::from(b) == quote => format!("\\{quote}"),
        0x20..=0x7e => char::from(byte).to_string(),
        _ => format!("\\{byte:03o}"),
    }
}

/// A Rust string literal of (possibly invalid) UTF-8 `bytes`.
pub(crate) fn rust_string_literal(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

/// A little-endian IEEE float of 4, 8 or 16 bytes, as gdb prints it.
pub(crate) fn format_float(bytes: &[u8]) -> EvalResult<String> {
    match *bytes {
        [a, b, c, d] => {
            let bits = u32::from_le_bytes([a, b, c, d]);
            let value = f32::from_bits(bits);
            if value.is_nan() {
                return Ok(nan(value.is_sign_negative(), u64::from(bits & 0x7f_ffff)));
            }
            Ok(format_g(f64::from(value), 9))
        }
        [..] if bytes.len() == 8 => {
            let mut word = [0u8; 8];
            word.copy_from_slice(bytes);
            let bits = u64::from_le_bytes(word);
            let value = f64::from_bits(bits);
            if value.is_nan() {
                return Ok(nan(value.is_sign_negative(), bits & 0xf_ffff_ffff_ffff));
            }
            Ok(format_g(value, 17))
        }
        [..] if bytes.len() == 16 => {
            let mut word = [0u8; 16];
            word.copy_from_slice(bytes);
            Ok(format_g(quad_to_f64(u128::from_le_bytes(word)), 17))
        }
        _ => Err(EvalError::unsupported(format!(
            "{}-byte floating point",
            bytes.len()
        ))),
    }
}

/// gdb's spelling of a NaN: `nan(0x8000000000000)`, `-nan(0x400000)`.
fn nan(negative: bool, mantissa: u64) -> String {
    format!("{}nan({mantissa:#x})", if negative { "-" } else { "" })
}

/// An IEEE binary128 (wasm32 `long double`) rounded to the nearest f64.
fn quad_to_f64(bits: u128) -> f64 {
    let negative = bits >> 127 == 1;
    let exponent = ((bits >> 112) & 0x7fff) as i32;
    let mantissa = bits & ((1u128 << 112) - 1);
    let magnitude = match exponent {
        0 if mantissa == 0 => 0.0,
        0x7fff if mantissa == 0 => f64::INFINITY,
        0x7fff => f64::NAN,
        _ => {
            let fraction = mantissa as f64 / (1u128 << 112) as f64;
            let (significand, exp) = if exponent == 0 {
                (fraction, -16382)
            } else {
                (1.0 + fraction, exponent - 16383)
            };
            significand * 2f64.powi(exp)
        }
    };
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// C's `%.{precision}g`.
pub(crate) fn format_g(value: f64, precision: usize) -> String {
    if value.is_nan() {
        return "nan".to_string();
    }
    if value.is_infinite() {
        return if value < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let precision = precision.max(1);
    let scientific = format!("{:.*e}", precision - 1, value);
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return scientific;
    };
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if exponent < -4 || exponent >= precision as i32 {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{}e{sign}{:02}",
            trim_fraction(mantissa),
            exponent.unsigned_abs()
        )
    } else {
        let decimals = (precision as i32 - 1 - exponent).max(0) as usize;
        trim_fraction(&format!("{value:.decimals$}")).to_string()
    }
}

/// `2.5000` → `2.5`, `3.000` → `3`.
fn trim_fraction(number: &str) -> &str {
    if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_gdb() {
        assert_eq!(format_g(2.5, 17), "2.5");
        assert_eq!(format_g(0.1, 17), "0.10000000000000001");
        assert_eq!(format_g(f64::from(0.1f32), 9), "0.100000001");
        assert_eq!(format_g(1e20, 17), "1e+20");
        assert_eq!(format_g(1.5e-7, 17), "1.4999999999999999e-07");
        assert_eq!(format_g(100.0, 17), "100");
        assert_eq!(format_g(-3.25, 9), "-3.25");
        assert_eq!(quad_to_f64(0x3fff_8000_0000_0000_0000_0000_0000_0000), 1.5);
    }

    #[test]
    fn characters_escape_like_gdb() {
        assert_eq!(c_char(b'A'), "'A'");
        assert_eq!(c_char(0), "'\\000'");
        assert_eq!(c_char(200), "'\\310'");
        assert_eq!(c_char(b'\''), "'\\''");
        assert_eq!(c_string_literal(b"a\"b\n"), "\"a\\\"b\\n\"");
    }
}
