#[actium::test]
async fn counts(start: u64) -> actium::Result<()> {
    let _ = start;
    Ok(())
}

fn main() {}
