//! The rules an `#[actor]` impl must follow. Each rule is one check with
//! one plain sentence, pointing at the user's own tokens.

use syn::visit::Visit;
use syn::{Lifetime, Type};

use crate::ast::{Actor, Method, Param};
use crate::attr::Role;

/// Names that `ActorRef` (or a trait every reference implements) already
/// uses: a message method with one of these names could never be called.
const RESERVED: &[&str] = &[
    "id",
    "label",
    "is_local",
    "node_address",
    "stop",
    "kill",
    "stopped",
    "is_alive",
    "wait_for_room",
    "clone",
    "clone_from",
    "eq",
    "ne",
    "hash",
    "fmt",
    "to_string",
    "to_owned",
    "deref",
    "into",
    "try_into",
    "borrow",
    "borrow_mut",
    "type_id",
];

/// Collects every violation, so the user sees all mistakes in one build.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        let error = syn::Error::new_spanned(tokens, message);
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn push_at(&mut self, span: proc_macro2::Span, message: impl std::fmt::Display) {
        let error = syn::Error::new(span, message);
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

pub(crate) fn check(actor: &Actor<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    let item = actor.item;
    if let Some((_, path, _)) = &item.trait_ {
        errors.push(
            path,
            "#[actor] goes on the type's own impl block (`impl Counter { .. }`), not on a trait impl",
        );
    }
    if !item.generics.params.is_empty() {
        errors.push(
            &item.generics,
            "generic actors are not supported: make the actor a concrete type",
        );
    }
    if actor.name.is_none() {
        errors.push(
            &item.self_ty,
            "#[actor] needs a type named by a plain identifier, such as `impl Counter`",
        );
    }
    if item.unsafety.is_some() {
        errors.push(item.unsafety, "#[actor] impl blocks cannot be unsafe");
    }
    for role in [Role::OnStart, Role::OnStop, Role::OnExit, Role::OnDown] {
        for extra in actor.role(role).skip(1) {
            errors.push(
                extra.role_attr,
                format!("only one method may be the {} hook", role.name()),
            );
        }
    }
    for method in &actor.methods {
        check_method(method, &mut errors);
    }
    if actor.options.remote.is_some() {
        check_remote(actor, &mut errors);
    }
    errors.finish()
}

/// Serde implements its traits for tuples of up to 16 elements, and a
/// remote method's arguments cross nodes as one tuple.
const MAX_REMOTE_ARGUMENTS: usize = 16;

fn check_remote(actor: &Actor<'_>, errors: &mut Errors) {
    for method in actor.messages() {
        if let Some((name, _)) = method.args().nth(MAX_REMOTE_ARGUMENTS) {
            errors.push(
                name,
                format!(
                    "a method of an `#[actor(remote)]` actor takes at most \
                     {MAX_REMOTE_ARGUMENTS} arguments, which cross nodes as one tuple: \
                     gather them in a struct"
                ),
            );
        }
    }
}

fn check_method(method: &Method<'_>, errors: &mut Errors) {
    let sig = &method.item.sig;
    let role = method.role.name();
    for extra in &method.extra_roles {
        errors.push(
            extra,
            format!("a method has one role; it is already {role}"),
        );
    }
    if let Some(token) = &sig.unsafety {
        errors.push(token, format!("a {role} method cannot be `unsafe`"));
    }
    if let Some(token) = &sig.constness {
        errors.push(token, format!("a {role} method cannot be `const`"));
    }
    if let Some(abi) = &sig.abi {
        errors.push(abi, format!("a {role} method cannot be `extern`"));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(variadic, format!("a {role} method cannot be variadic"));
    }
    if !sig.generics.params.is_empty() {
        errors.push(
            &sig.generics,
            format!(
                "a {role} method cannot have generic parameters: each message needs concrete types"
            ),
        );
    }
    if method.is_parallel() {
        check_parallel(method, errors);
    } else {
        match method.receiver() {
            None => errors.push(
                &sig.ident,
                format!(
                    "a {role} method runs on the actor's state, so it needs `&self` or `&mut self` \
                     (or, if it is `parallel`, a first argument `this: Reentrant<Self>`)"
                ),
            ),
            Some(receiver) if receiver.reference.is_none() || receiver.colon_token.is_some() => {
                errors.push(
                    receiver,
                    format!(
                        "a {role} method runs on the actor's state in place: take `&self` or \
                         `&mut self`"
                    ),
                )
            }
            Some(_) => {}
        }
        // Hooks say so in their own words (`check_hook`).
        let message = matches!(method.role, Role::Tell | Role::Ask);
        for param in &method.params {
            if let (Param::Reentrant { ty }, true) = (param, message) {
                errors.push(
                    ty,
                    "only a `parallel` method receives `Reentrant<Self>`; mark it \
                     #[ask(parallel)] or #[tell(parallel)]",
                );
            }
        }
    }
    if let Some(span) = method.options.blocking {
        // A parallel one is told it cannot be blocking at all.
        if method.is_async() && !method.is_parallel() {
            errors.push_at(
                span,
                "a `blocking` method must be a plain `fn`; an `async fn` awaits instead of blocking",
            );
        }
    }
    match method.role {
        Role::Tell | Role::Ask => check_message(method, errors),
        Role::OnStart | Role::OnStop | Role::OnExit | Role::OnDown => check_hook(method, errors),
    }
}

/// A `parallel` method: `async fn m(this: Reentrant<Self>, ..)`.
fn check_parallel(method: &Method<'_>, errors: &mut Errors) {
    let sig = &method.item.sig;
    if let Some(receiver) = method.receiver() {
        errors.push(
            receiver,
            "a `parallel` method cannot take `self`: the actor keeps serving while it awaits, so \
             it reaches its state through `this: Reentrant<Self>` and `this.with(|state| ..)`",
        );
    } else if !matches!(method.params.first(), Some(Param::Reentrant { .. })) {
        errors.push(
            &sig.ident,
            "a `parallel` method's first argument must be `this: Reentrant<Self>`",
        );
    }
    if !method.is_async() {
        errors.push(
            &sig.ident,
            "a `parallel` method must be an `async fn`: it exists to await while the actor \
             serves others",
        );
    }
    if let (Some(span), Some(_)) = (method.options.parallel, method.options.blocking) {
        errors.push_at(span, "a method cannot be both `parallel` and `blocking`");
    }
    for param in method.params.iter().skip(1) {
        match param {
            Param::Reentrant { ty } => errors.push(ty, "only one `Reentrant<Self>` argument"),
            Param::Context { ty } => errors.push(
                ty,
                "a `parallel` method reaches its context through `this.with_context(..)`",
            ),
            _ => {}
        }
    }
}

fn check_message(method: &Method<'_>, errors: &mut Errors) {
    let name = method.name();
    let role = method.role.name();
    if RESERVED.contains(&name.to_string().as_str()) {
        errors.push(
            name,
            format!(
                "`{name}` is already a method of every `ActorRef`, so this message could not be \
                 called; rename it"
            ),
        );
    }
    let mut contexts = 0;
    for param in &method.params {
        match param {
            Param::Arg {
                name: None, pat, ..
            } => errors.push(
                pat,
                "message arguments need a plain name (`x: T`); patterns cannot travel in a message",
            ),
            Param::Arg {
                name: Some(arg),
                ty,
                ..
            } => {
                if arg == "__reply" {
                    errors.push(arg, "`__reply` is reserved for the generated reply slot");
                }
                if let Some(borrowed) = borrows(ty) {
                    errors.push(
                        ty,
                        format!(
                            "argument `{arg}` borrows ({borrowed}), but a message outlives the \
                             call: take an owned value (`String` for `&str`, `Vec<T>` for `&[T]`)"
                        ),
                    );
                }
                if matches!(ty, Type::ImplTrait(_)) {
                    errors.push(
                        ty,
                        format!("argument `{arg}` has an `impl Trait` type; messages need concrete types"),
                    );
                }
            }
            Param::Context { ty } => {
                contexts += 1;
                if contexts > 1 {
                    errors.push(ty, "at most one `Context` parameter");
                }
            }
            Param::ExitReason { ty } => {
                errors.push(ty, "only the #[on_stop] hook receives an `&ExitReason`")
            }
            // Placement is checked with the method's kind (`check_parallel`).
            Param::Reentrant { .. } => {}
        }
    }
    match (method.role, method.output()) {
        (Role::Tell, Some(output)) if !is_unit(output) => errors.push(
            output,
            "a #[tell] method cannot return a value: nobody waits for it; make it #[ask] to \
             return a value to the caller",
        ),
        (Role::Ask, Some(output)) => {
            if let Some(borrowed) = borrows(output) {
                errors.push(
                    output,
                    format!(
                        "a {role} method's result travels back to the caller, so it cannot \
                         borrow ({borrowed}); return an owned value"
                    ),
                );
            }
            if matches!(output, Type::ImplTrait(_)) {
                errors.push(
                    output,
                    "a #[ask] method cannot return `impl Trait`; name the concrete type",
                );
            }
        }
        _ => {}
    }
}

fn check_hook(method: &Method<'_>, errors: &mut Errors) {
    let role = method.role.name();
    let signal = match method.role {
        Role::OnExit => Some("exit: Exit"),
        Role::OnDown => Some("down: Down"),
        _ => None,
    };
    let mut signals = 0;
    for param in &method.params {
        match (param, signal) {
            (Param::Arg { pat, .. }, Some(signal)) => {
                signals += 1;
                if signals > 1 {
                    errors.push(pat, format!("a {role} hook takes one argument, `{signal}`"));
                }
            }
            (Param::Arg { pat, .. }, None) => errors.push(
                pat,
                format!(
                    "a {role} hook takes no arguments besides `ctx: &mut Context<Self>`{}",
                    if method.role == Role::OnStop {
                        " and `reason: &ExitReason`"
                    } else {
                        ""
                    }
                ),
            ),
            (Param::ExitReason { ty }, _) if method.role != Role::OnStop => {
                errors.push(ty, "only the #[on_stop] hook receives an `&ExitReason`")
            }
            (Param::Reentrant { ty }, _) => errors.push(
                ty,
                format!("a {role} hook takes `&mut self`, not `Reentrant<Self>`"),
            ),
            (Param::Context { .. } | Param::ExitReason { .. }, _) => {}
        }
    }
    if let (Some(signal), 0) = (signal, signals) {
        errors.push(
            &method.item.sig.ident,
            format!("a {role} hook receives the signal: add an argument `{signal}`"),
        );
    }
    if matches!(method.role, Role::OnStop | Role::OnExit | Role::OnDown) {
        if let Some(output) = method.output().filter(|output| !is_unit(output)) {
            errors.push(output, format!("the {role} hook returns nothing"));
        }
    }
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(tuple) if tuple.elems.is_empty())
}

/// Describes the first borrow in `ty` (a reference or a non-`'static`
/// lifetime), if any.
fn borrows(ty: &Type) -> Option<String> {
    struct Finder(Option<String>);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_type_reference(&mut self, reference: &'ast syn::TypeReference) {
            let is_static = reference
                .lifetime
                .as_ref()
                .is_some_and(|lifetime| lifetime.ident == "static");
            if !is_static && self.0.is_none() {
                self.0 = Some("a reference".to_owned());
            }
            syn::visit::visit_type_reference(self, reference);
        }
        fn visit_lifetime(&mut self, lifetime: &'ast Lifetime) {
            if lifetime.ident != "static" && self.0.is_none() {
                self.0 = Some(format!("lifetime `'{}`", lifetime.ident));
            }
        }
    }
    let mut finder = Finder(None);
    finder.visit_type(ty);
    finder.0
}
