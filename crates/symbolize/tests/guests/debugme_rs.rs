//! debugme_rs.rs — a Rust guest for the variable printing tests (tests/rust_variables.rs).
//!
//! The test compiles it at -O0 for wasm32-wasi when a rustc with that target is installed, stops
//! at the `// stop: inspect` line and checks how each local prints.

#![allow(dead_code)]

struct Point {
    x: i32,
    y: i32,
}

struct Meters(u32);

#[derive(Clone, Copy)]
enum Color {
    Red,
    Green,
    Blue,
}

enum Shape {
    Circle { r: u32 },
    Square(u32),
    Empty,
}

#[inline(never)]
fn inspect(name: &str, values: &[i32], point: &Point) -> i32 {
    let total: i32 = values.iter().sum();
    let first = values.first().copied();
    let text = String::from("owned");
    let list = vec![1u16, 2, 3];
    let pair = (7u8, -2i64);
    let missing: Option<u32> = None;
    let present: Option<u32> = Some(5);
    let ok: Result<u32, i8> = Ok(9);
    let shape = Shape::Circle { r: 4 };
    let sq = Shape::Square(6);
    let e = Shape::Empty;
    let color = Color::Blue;
    let m = Meters(12);
    let c = 'Z';
    let flag = true;
    let boxed = Box::new(77i32);
    let used = (&first, &text, &list, &pair, &missing, &present, &ok, &shape, &sq, &e, &color, &m, &c, &flag, &boxed); // stop: inspect
    std::mem::drop(used);
    total + name.len() as i32 + point.x + point.y
}

fn main() {
    let p = Point { x: 2, y: 3 };
    let v = [10, 20, 30];
    let r = inspect("hello", &v, &p);
    println!("{} {:?}", r, [Color::Red, Color::Green].len());
}
