//! What is built on the runtime the way OTP builds on processes:
//! [`supervisor`]s, the name registry API ([`register`](crate::register),
//! [`whereis`](crate::whereis) and the `SystemHandle` name methods;
//! [`Named`](crate::Named), calling whoever holds a name at each call),
//! mailbox processes ([`Process`](crate::Process), [`Inbox`](crate::Inbox),
//! selective receive) and function actors.
//!
//! *May use:* every folder below it, including `__private`:
//! `supervisor/methods.rs` and `function.rs` are hand-written `#[actor]`
//! expansions and call what generated code calls.

mod function;
mod inbox;
mod named;
mod process;
mod registry;
pub mod supervisor;

pub use function::{FunctionActor, function_actor};
pub use inbox::Inbox;
pub use named::{ByName, Named};
pub use process::{Message, Process, ProcessMethods, ProcessResult, spawn, try_spawn};
pub use registry::{register, unregister, whereis};
