#[actium::test]
async fn counts<T>() -> actium::Result<()> {
    Ok(())
}

fn main() {}
