#[actium::test]
fn not_async() {}

fn main() {}
