//! Parsing `print` expressions: names, `a.b`, `p->next->value`, `a[2]`, `*p`, `&x`, `-n`, `!n`,
//! `~n`, C's binary arithmetic, shift, bitwise, comparison and logical operators with C's
//! precedence, integer literals and parentheses. Errors are worded as gdb words them.

/// How deeply expressions may nest (parentheses, unary operators) before they are refused.
pub(crate) const MAX_NESTING: usize = 64;
/// Longest expression accepted, in tokens (bounds the depth of member and subscript chains).
const MAX_TOKENS: usize = 256;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// A variable.
    Name(String),
    /// An integer literal.
    Int(i128),
    /// An integer literal with a `u` suffix.
    Unsigned(i128),
    /// A floating-point literal (a `double`).
    Float(f64),
    /// `a.b` (also through a pointer, as gdb allows).
    Member(Box<Expr>, String),
    /// `a->b`.
    Arrow(Box<Expr>, String),
    /// `a[i]`.
    Index(Box<Expr>, Box<Expr>),
    /// `*a`.
    Deref(Box<Expr>),
    /// `&a`.
    AddressOf(Box<Expr>),
    /// `-a`.
    Negate(Box<Expr>),
    /// `!a`.
    Not(Box<Expr>),
    /// `sizeof a`, `sizeof(a)`.
    SizeOf(Box<Expr>),
    /// `sizeof(TYPE)`.
    SizeOfType(TypeName),
    /// `~a`.
    Complement(Box<Expr>),
    /// `a OP b`.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `a = b` (`set var`, `print a = b`): writes linear memory.
    Assign(Box<Expr>, Box<Expr>),
    /// `(TYPE) a`.
    Cast(TypeName, Box<Expr>),
}

/// A type as a cast spells it: `unsigned char`, `struct Point *`, `uint`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TypeName {
    /// The words before the `*`s (`const` and `volatile` left out).
    pub words: Vec<String>,
    /// How many `*`s follow.
    pub pointers: usize,
}

/// Words that can only start a type, never an expression.
const TYPE_WORDS: [&str; 15] = [
    "int", "char", "short", "long", "unsigned", "signed", "float", "double", "void", "_Bool",
    "bool", "struct", "union", "enum", "const",
];

/// C's binary operators on integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Shl,
    Shr,
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
    BitAnd,
    BitXor,
    BitOr,
    And,
    Or,
}

impl BinaryOp {
    /// A comparison (`<`, `==`, …), whose operands may be pointers.
    pub(crate) fn compares(self) -> bool {
        use BinaryOp::*;
        matches!(self, Lt | Gt | Le | Ge | Eq | Ne)
    }

    /// The operator a token spells, with its C precedence (higher binds tighter).
    fn of(token: &Token) -> Option<(BinaryOp, u8)> {
        let Token::Punct(punct) = token else {
            return None;
        };
        Some(match *punct {
            "*" => (BinaryOp::Mul, 10),
            "/" => (BinaryOp::Div, 10),
            "%" => (BinaryOp::Rem, 10),
            "+" => (BinaryOp::Add, 9),
            "-" => (BinaryOp::Sub, 9),
            "<<" => (BinaryOp::Shl, 8),
            ">>" => (BinaryOp::Shr, 8),
            "<" => (BinaryOp::Lt, 7),
            ">" => (BinaryOp::Gt, 7),
            "<=" => (BinaryOp::Le, 7),
            ">=" => (BinaryOp::Ge, 7),
            "==" => (BinaryOp::Eq, 6),
            "!=" => (BinaryOp::Ne, 6),
            "&" => (BinaryOp::BitAnd, 5),
            "^" => (BinaryOp::BitXor, 4),
            "|" => (BinaryOp::BitOr, 3),
            "&&" => (BinaryOp::And, 2),
            "||" => (BinaryOp::Or, 1),
            _ => return None,
        })
    }
}

/// Punctuation tokens, longest first so `->` is not read as `-`.
const PUNCTUATION: [&str; 28] = [
    "->", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", ".", "[", "]", "(", ")", "*", "&", "-",
    "+", "/", "%", "<", ">", "|", "^", "!", "~", ",", "=",
];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    /// A literal and whether its suffix makes it unsigned.
    Int(i128, bool),
    /// A floating-point literal.
    Float(f64),
    Punct(&'static str),
}

/// Splits `text` into tokens, each with its byte offset.
fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, String> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || bytes[i] == b'_'
                    || (bytes[i] == b':' && bytes.get(i + 1) == Some(&b':')))
            {
                i += if bytes[i] == b':' { 2 } else { 1 };
            }
            tokens.push((Token::Ident(text[start..i].to_string()), start));
            continue;
        }
        if c.is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            // `0.5`, `2.5e3`: a floating-point literal (a `double`).
            if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || (matches!(bytes[i], b'+' | b'-') && matches!(bytes[i - 1], b'e' | b'E')))
                {
                    i += 1;
                }
                let literal = &text[start..i];
                let value: f64 = literal
                    .parse()
                    .map_err(|_| "Invalid number \"".to_string() + literal + "\".")?;
                tokens.push((Token::Float(value), start));
                continue;
            }
            let literal = &text[start..i];
            let (value, unsigned) = parse_int(literal)
                .ok_or_else(|| "Invalid number \"".to_string() + literal + "\".")?;
            tokens.push((Token::Int(value, unsigned), start));
            continue;
        }
        let punct = PUNCTUATION.into_iter().find(|p| text[i..].starts_with(p));
        match punct {
            Some(p) => {
                tokens.push((Token::Punct(p), start));
                i += p.len();
            }
            None => {
                let ch = text[i..].chars().next().unwrap_or('?');
                return Err(format!("Invalid character '{ch}' in expression."));
            }
        }
    }
    Ok(tokens)
}

/// `42`, `0x2a`, `052`, with C/Rust suffixes (`42u`, `42L`, `42i64`); true when the suffix makes
/// it unsigned (`u`, `ul`, `ull`, `u32`, ...).
fn parse_int(literal: &str) -> Option<(i128, bool)> {
    let lower = literal.to_ascii_lowercase();
    let (digits, radix) = if let Some(hex) = lower.strip_prefix("0x") {
        (hex, 16)
    } else if let Some(bin) = lower.strip_prefix("0b") {
        (bin, 2)
    } else if lower.starts_with('0') && lower[1..].starts_with(|c: char| c.is_ascii_digit()) {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    let (number, suffix) = digits.split_at(end);
    let suffix_ok = ["", "u", "l", "ul", "lu", "ll", "ull", "llu"].contains(&suffix)
        || [
            "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize",
        ]
        .contains(&suffix);
    if number.is_empty() || !suffix_ok {
        return None;
    }
    let value = i128::from_str_radix(number, radix).ok()?;
    Some((value, suffix.contains('u')))
}

/// `struct Point`, `uint *`, `unsigned long`: a type name alone (`ptype`, `whatis`), when the
/// text is one: words (the first a type keyword, or a single name) and `*`s.
pub(crate) fn parse_type(text: &str) -> Option<TypeName> {
    let mut tokens = tokenize(text).ok()?;
    tokens.push((Token::Punct(")"), text.len()));
    let mut parser = Parser {
        text,
        tokens,
        at: 0,
    };
    let name = parser.type_name_then(true)?;
    (parser.at == parser.tokens.len()).then_some(name)
}

/// Parses a `print` expression.
pub(crate) fn parse(text: &str) -> Result<Expr, String> {
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err("Argument required (expression to compute).".to_string());
    }
    if tokens.len() > MAX_TOKENS {
        return Err("Expression too long.".to_string());
    }
    let mut parser = Parser {
        text,
        tokens,
        at: 0,
    };
    let expr = parser.assignment(0)?;
    if parser.at < parser.tokens.len() {
        return Err(parser.syntax_error());
    }
    Ok(expr)
}

struct Parser<'t> {
    text: &'t str,
    tokens: Vec<(Token, usize)>,
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(token, _)| token)
    }

    fn syntax_error(&self) -> String {
        let rest = self
            .tokens
            .get(self.at)
            .map_or("", |(_, offset)| &self.text[*offset..]);
        format!("A syntax error in expression, near `{rest}'.")
    }

    fn eat(&mut self, punct: &str) -> bool {
        if self.peek() == Some(&Token::Punct(punct_static(punct))) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// `a = b = c` (right to left, looser than every other operator).
    fn assignment(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > MAX_NESTING {
            return Err("Expression too deeply nested.".to_string());
        }
        let target = self.binary(0, depth + 1)?;
        if !self.eat("=") {
            return Ok(target);
        }
        let value = self.assignment(depth + 1)?;
        Ok(Expr::Assign(Box::new(target), Box::new(value)))
    }

    /// Operators binding at least as tightly as `min` (precedence climbing).
    fn binary(&mut self, min: u8, depth: usize) -> Result<Expr, String> {
        if depth > MAX_NESTING {
            return Err("Expression too deeply nested.".to_string());
        }
        let mut lhs = self.unary(depth + 1)?;
        while let Some((op, precedence)) = self.peek().and_then(BinaryOp::of) {
            if precedence < min {
                break;
            }
            self.at += 1;
            let rhs = self.binary(precedence + 1, depth + 1)?;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > MAX_NESTING {
            return Err("Expression too deeply nested.".to_string());
        }
        if self.eat("*") {
            return Ok(Expr::Deref(Box::new(self.unary(depth + 1)?)));
        }
        if self.eat("&") {
            return Ok(Expr::AddressOf(Box::new(self.unary(depth + 1)?)));
        }
        if self.eat("-") {
            return Ok(Expr::Negate(Box::new(self.unary(depth + 1)?)));
        }
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary(depth + 1)?)));
        }
        if self.eat("~") {
            return Ok(Expr::Complement(Box::new(self.unary(depth + 1)?)));
        }
        if self.peek() == Some(&Token::Ident("sizeof".to_string())) {
            self.at += 1;
            // `sizeof (TYPE)`: a cast's spelling with no operand after it.
            let start = self.at;
            if self.eat("(") {
                if let Some(type_name) = self.type_name() {
                    return Ok(Expr::SizeOfType(type_name));
                }
                self.at = start;
            }
            return Ok(Expr::SizeOf(Box::new(self.unary(depth + 1)?)));
        }
        self.postfix(depth)
    }

    fn postfix(&mut self, depth: usize) -> Result<Expr, String> {
        let mut expr = self.primary(depth)?;
        loop {
            if self.eat(".") {
                let field = match self.peek() {
                    Some(Token::Ident(name)) => name.clone(),
                    Some(Token::Int(index, _)) => format!("__{index}"),
                    _ => return Err(self.syntax_error()),
                };
                self.at += 1;
                expr = Expr::Member(Box::new(expr), field);
            } else if self.eat("->") {
                let Some(Token::Ident(field)) = self.peek().cloned() else {
                    return Err(self.syntax_error());
                };
                self.at += 1;
                expr = Expr::Arrow(Box::new(expr), field);
            } else if self.eat("[") {
                let index = self.binary(0, depth + 1)?;
                if !self.eat("]") {
                    return Err(self.syntax_error());
                }
                expr = Expr::Index(Box::new(expr), Box::new(index));
            } else {
                return Ok(expr);
            }
        }
    }

    fn primary(&mut self, depth: usize) -> Result<Expr, String> {
        match self.peek().cloned() {
            Some(Token::Ident(name)) => {
                self.at += 1;
                Ok(Expr::Name(name))
            }
            Some(Token::Float(value)) => {
                self.at += 1;
                Ok(Expr::Float(value))
            }
            Some(Token::Int(value, unsigned)) => {
                self.at += 1;
                Ok(match unsigned {
                    true => Expr::Unsigned(value),
                    false => Expr::Int(value),
                })
            }
            Some(Token::Punct("(")) => {
                self.at += 1;
                if let Some(type_name) = self.type_name() {
                    let operand = self.unary(depth + 1)?;
                    return Ok(Expr::Cast(type_name, Box::new(operand)));
                }
                let inner = self.assignment(depth + 1)?;
                if !self.eat(")") {
                    return Err(self.syntax_error());
                }
                Ok(inner)
            }
            _ => Err(self.syntax_error()),
        }
    }
}

impl Parser<'_> {
    /// After a `(`: the type of a cast and its `)`, when the tokens spell one — words that only
    /// a type starts with, or a name followed by `*`s and `)`, or a name alone in parentheses
    /// before an operand (`(uint) x`); otherwise nothing is consumed.
    fn type_name(&mut self) -> Option<TypeName> {
        self.type_name_then(false)
    }

    /// [`Parser::type_name`]; `alone`: nothing follows the `)` (a single name is a type then).
    fn type_name_then(&mut self, alone: bool) -> Option<TypeName> {
        let start = self.at;
        let mut words = Vec::new();
        while let Some(Token::Ident(word)) = self.peek() {
            words.push(word.clone());
            self.at += 1;
        }
        let mut pointers = 0;
        while self.eat("*") {
            pointers += 1;
        }
        let closed = self.eat(")");
        let keyword = words
            .first()
            .is_some_and(|w| TYPE_WORDS.contains(&w.as_str()));
        let operand_follows = matches!(
            self.peek(),
            Some(Token::Ident(_) | Token::Int(..) | Token::Float(_) | Token::Punct("("))
        );
        let is_type = closed
            && !words.is_empty()
            && (keyword || pointers > 0 || (words.len() == 1 && (operand_follows || alone)));
        if !is_type {
            self.at = start;
            return None;
        }
        words.retain(|w| w != "const" && w != "volatile");
        Some(TypeName { words, pointers })
    }
}

/// The static spelling of a punctuation token.
fn punct_static(punct: &str) -> &'static str {
    PUNCTUATION.into_iter().find(|p| *p == punct).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Box<Expr> {
        Box::new(Expr::Name(n.to_string()))
    }

    #[test]
    fn casts_are_told_from_parenthesized_expressions() {
        let cast = |words: &[&str], pointers| TypeName {
            words: words.iter().map(|w| w.to_string()).collect(),
            pointers,
        };
        assert_eq!(
            parse("(unsigned char) x").unwrap(),
            Expr::Cast(cast(&["unsigned", "char"], 0), name("x"))
        );
        assert_eq!(
            parse("(const struct Point **)p").unwrap(),
            Expr::Cast(cast(&["struct", "Point"], 2), name("p"))
        );
        assert_eq!(
            parse("(uint) n").unwrap(),
            Expr::Cast(cast(&["uint"], 0), name("n"))
        );
        // A name alone in parentheses before an operator is an expression.
        assert_eq!(
            parse("(n) * 2").unwrap(),
            Expr::Binary(BinaryOp::Mul, name("n"), Box::new(Expr::Int(2)))
        );
        assert_eq!(
            parse("sizeof (int)").unwrap(),
            Expr::SizeOfType(cast(&["int"], 0))
        );
        assert_eq!(parse("sizeof (n)").unwrap(), Expr::SizeOf(name("n")));
        assert_eq!(
            parse("x * 2.5e1").unwrap(),
            Expr::Binary(BinaryOp::Mul, name("x"), Box::new(Expr::Float(25.0)))
        );
        // A member named by a digit stays one (Rust tuples: `t.0`).
        assert_eq!(
            parse("t.0").unwrap(),
            Expr::Member(name("t"), "__0".to_string())
        );
        assert_eq!(
            parse("a = b = 1").unwrap(),
            Expr::Assign(
                name("a"),
                Box::new(Expr::Assign(name("b"), Box::new(Expr::Int(1))))
            )
        );
    }

    #[test]
    fn type_names_alone_parse_as_types() {
        let words = |name: TypeName| name.words.join(" ");
        assert_eq!(
            parse_type("struct Point").map(words).as_deref(),
            Some("struct Point")
        );
        assert_eq!(parse_type("uint").map(words).as_deref(), Some("uint"));
        assert_eq!(parse_type("unsigned long *").map(|n| n.pointers), Some(1));
        // Expressions are not types.
        assert!(parse_type("a + b").is_none());
        assert!(parse_type("p->x").is_none());
        assert!(parse_type("x y").is_none());
    }

    #[test]
    fn parses_gdb_expressions() {
        assert_eq!(
            parse("p->next->value").unwrap(),
            Expr::Arrow(
                Box::new(Expr::Arrow(name("p"), "next".to_string())),
                "value".to_string()
            )
        );
        assert_eq!(
            parse("*a[0x2]").unwrap(),
            Expr::Deref(Box::new(Expr::Index(name("a"), Box::new(Expr::Int(2)))))
        );
        assert_eq!(parse("&(x)").unwrap(), Expr::AddressOf(name("x")));
        assert_eq!(
            parse("t.0").unwrap(),
            Expr::Member(name("t"), "__0".to_string())
        );
        assert_eq!(
            parse("demo::COUNT").unwrap(),
            Expr::Name("demo::COUNT".to_string())
        );
        assert_eq!(parse("-5").unwrap(), Expr::Negate(Box::new(Expr::Int(5))));
        assert_eq!(parse("010").unwrap(), Expr::Int(8));
        assert_eq!(parse("7u").unwrap(), Expr::Unsigned(7));
        assert_eq!(parse("7L").unwrap(), Expr::Int(7));
        assert_eq!(parse("0u").unwrap(), Expr::Unsigned(0));
        // C's precedence: * before +, + before <<, << before <, < before ==, & ^ | && || last.
        let int = |n| Box::new(Expr::Int(n));
        let bin = |op, a, b| Box::new(Expr::Binary(op, a, b));
        assert_eq!(
            parse("1 + 2 * 3 << 1 < 20 == 1 && !0 || ~0").unwrap(),
            *bin(
                BinaryOp::Or,
                bin(
                    BinaryOp::And,
                    bin(
                        BinaryOp::Eq,
                        bin(
                            BinaryOp::Lt,
                            bin(
                                BinaryOp::Shl,
                                bin(BinaryOp::Add, int(1), bin(BinaryOp::Mul, int(2), int(3))),
                                int(1)
                            ),
                            int(20)
                        ),
                        int(1)
                    ),
                    Box::new(Expr::Not(int(0)))
                ),
                Box::new(Expr::Complement(int(0)))
            )
        );
        assert_eq!(
            parse("a.x - b.y - 1").unwrap(),
            *bin(
                BinaryOp::Sub,
                bin(
                    BinaryOp::Sub,
                    Box::new(Expr::Member(name("a"), "x".to_string())),
                    Box::new(Expr::Member(name("b"), "y".to_string()))
                ),
                int(1)
            )
        );
        assert_eq!(
            parse("a[i + 1]").unwrap(),
            Expr::Index(name("a"), bin(BinaryOp::Add, name("i"), int(1)))
        );
    }

    #[test]
    fn reports_errors_like_gdb() {
        assert_eq!(
            parse("a b").unwrap_err(),
            "A syntax error in expression, near `b'."
        );
        assert_eq!(
            parse("a[1").unwrap_err(),
            "A syntax error in expression, near `'."
        );
        assert_eq!(
            parse("a.").unwrap_err(),
            "A syntax error in expression, near `'."
        );
        assert_eq!(
            parse("#").unwrap_err(),
            "Invalid character '#' in expression."
        );
        assert_eq!(parse("12abc").unwrap_err(), "Invalid number \"12abc\".");
        assert_eq!(
            parse("  ").unwrap_err(),
            "Argument required (expression to compute)."
        );
        assert!(parse(&"(".repeat(10_000)).is_err());
        assert!(parse(&"*".repeat(10_000)).is_err());
        assert!(parse(&format!("a{}", ".b".repeat(10_000))).is_err());
    }
}
