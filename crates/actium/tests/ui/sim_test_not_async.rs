#[actium::sim_test]
fn not_async() {}

fn main() {}
