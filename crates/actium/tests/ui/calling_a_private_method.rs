use actium::prelude::*;

struct Vault {
    secret: u64,
}

#[actor]
impl Vault {
    #[ask]
    fn public(&self) -> u64 {
        0
    }

    fn secret(&self) -> u64 {
        self.secret
    }
}

async fn peek(vault: ActorRef<Vault>) {
    let _ = vault.secret();
}

fn main() {}
