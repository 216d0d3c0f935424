#[actium::sim_test]
async fn two(seed: u64, other: u64) {
    let _ = (seed, other);
}

fn main() {}
