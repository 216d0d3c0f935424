//! An actor's methods without `#[ask]` or `#[tell]` are its own: its
//! messages call them as any Rust method, whatever their form (private or
//! `pub`, async, generic, borrowing, taking the context, one name under
//! exclusive `#[cfg]`s, named like a method of the generated proxy). Calling one through a reference is a
//! compile error instead (`tests/ui/missing_message_attribute.rs`).

use actium::prelude::*;

struct Ledger {
    name: String,
    entries: Vec<u64>,
    last_sender: Option<ActorId>,
}

#[actor]
impl Ledger {
    /// Not a method at all (no `self`): a constructor.
    fn new(name: &str) -> Self {
        Ledger {
            name: name.to_owned(),
            entries: Vec::new(),
            last_sender: None,
        }
    }

    #[tell]
    fn deposit(&mut self, amount: u64, ctx: &mut Context<Self>) {
        self.record(amount);
        self.note(ctx);
    }

    #[ask]
    fn deposit_all(&mut self, amounts: Vec<u64>) -> u64 {
        self.dispatch(amounts);
        self.total()
    }

    #[ask]
    async fn balance(&self) -> u64 {
        self.audit().await
    }

    #[ask]
    fn is_named(&self, name: String) -> bool {
        self.matches(&name)
    }

    #[ask]
    fn platform_name(&self) -> String {
        self.platform().to_owned()
    }

    #[ask]
    fn noted(&self) -> Option<ActorId> {
        self.last_sender
    }

    // The actor's own methods, each a different form.

    fn total(&self) -> u64 {
        self.entries.iter().sum()
    }

    pub fn record(&mut self, amount: u64) {
        self.entries.push(amount);
    }

    async fn audit(&self) -> u64 {
        self.total()
    }

    fn add_all<I: IntoIterator<Item = u64>>(&mut self, amounts: I) {
        for amount in amounts {
            self.record(amount);
        }
    }

    fn matches(&self, name: &str) -> bool {
        self.name == name
    }

    fn note(&mut self, ctx: &mut Context<Self>) {
        self.last_sender = Some(ctx.id());
    }

    // One name under exclusive `#[cfg]`s.
    #[cfg(unix)]
    fn platform(&self) -> &'static str {
        "unix"
    }

    #[cfg(not(unix))]
    fn platform(&self) -> &'static str {
        "other"
    }

    /// Named like the generated proxy's own `Methods::dispatch`.
    fn dispatch(&mut self, amounts: Vec<u64>) {
        self.add_all(amounts);
    }
}

#[actium::test]
async fn an_actors_own_methods_serve_its_messages() -> actium::Result<()> {
    let ledger = Ledger::new("savings").spawn();
    ledger.deposit(5)?;
    assert_eq!(ledger.deposit_all(vec![10, 20]).await?, 35);
    assert_eq!(ledger.balance().await?, 35);
    assert!(ledger.is_named("savings".to_owned()).await?);
    assert!(!ledger.is_named("checking".to_owned()).await?);
    assert_eq!(ledger.noted().await?, Some(ledger.id()));
    assert_eq!(
        ledger.platform_name().await?,
        cfg!(unix).then_some("unix").unwrap_or("other")
    );
    Ok(())
}
