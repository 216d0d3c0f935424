#[actium::sim_test(runs = 5)]
async fn unknown() {}

fn main() {}
