#[actium::test(fibers)]
async fn counts() -> actium::Result<()> {
    Ok(())
}

fn main() {}
