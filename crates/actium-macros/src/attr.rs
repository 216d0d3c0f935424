//! Parsing Actium's attributes.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr};

/// Options of `#[actor(...)]`.
#[derive(Default)]
pub(crate) struct ActorOptions {
    /// `on_panic = "stop"` (true) or `"resume"` (false).
    pub(crate) stop_on_panic: Option<bool>,
    /// `remote`: generate the wire codec, so the actor can be called from
    /// other nodes.
    pub(crate) remote: Option<Span>,
}

pub(crate) fn actor_options(args: TokenStream) -> syn::Result<ActorOptions> {
    let mut options = ActorOptions::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("on_panic") {
            let value: LitStr = meta.value()?.parse()?;
            options.stop_on_panic = Some(match value.value().as_str() {
                "stop" => true,
                "resume" => false,
                _ => {
                    return Err(syn::Error::new_spanned(
                        value,
                        "`on_panic` is either \"stop\" or \"resume\"",
                    ));
                }
            });
            Ok(())
        } else if meta.path.is_ident("remote") {
            options.remote = Some(meta.path.span());
            Ok(())
        } else {
            Err(meta.error(
                "unknown #[actor] option; expected `remote` or `on_panic = \"stop\" | \"resume\"`",
            ))
        }
    });
    syn::parse::Parser::parse2(parser, args)?;
    Ok(options)
}

/// Which of our attributes a method carries.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    Tell,
    Ask,
    OnStart,
    OnStop,
    OnExit,
    OnDown,
}

impl Role {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Role::Tell => "#[tell]",
            Role::Ask => "#[ask]",
            Role::OnStart => "#[on_start]",
            Role::OnStop => "#[on_stop]",
            Role::OnExit => "#[on_exit]",
            Role::OnDown => "#[on_down]",
        }
    }

    pub(crate) fn of(attr: &Attribute) -> Option<Role> {
        let path = attr.path();
        if path.is_ident("tell") {
            Some(Role::Tell)
        } else if path.is_ident("ask") {
            Some(Role::Ask)
        } else if path.is_ident("on_start") {
            Some(Role::OnStart)
        } else if path.is_ident("on_stop") {
            Some(Role::OnStop)
        } else if path.is_ident("on_exit") {
            Some(Role::OnExit)
        } else if path.is_ident("on_down") {
            Some(Role::OnDown)
        } else {
            None
        }
    }
}

/// Options of `#[tell(...)]` / `#[ask(...)]`.
#[derive(Default)]
pub(crate) struct MethodOptions {
    pub(crate) timeout: Option<(Duration, Span)>,
    pub(crate) blocking: Option<Span>,
    pub(crate) parallel: Option<Span>,
}

pub(crate) fn method_options(attr: &Attribute, role: Role) -> syn::Result<MethodOptions> {
    let mut options = MethodOptions::default();
    if matches!(attr.meta, syn::Meta::Path(_)) {
        return Ok(options);
    }
    attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("blocking") && matches!(role, Role::Tell | Role::Ask) {
            options.blocking = Some(meta.path.span());
            Ok(())
        } else if meta.path.is_ident("parallel") && matches!(role, Role::Tell | Role::Ask) {
            options.parallel = Some(meta.path.span());
            Ok(())
        } else if meta.path.is_ident("timeout") && role == Role::Ask {
            options.timeout = Some(parse_timeout(&meta)?);
            Ok(())
        } else if meta.path.is_ident("timeout") && role == Role::Tell {
            Err(meta.error(
                "a #[tell] method has no deadline: nobody waits for it; use #[ask(timeout = \"..\")]",
            ))
        } else {
            Err(meta.error(match role {
                Role::Ask => {
                    "unknown #[ask] option; expected `timeout = \"2s\"`, `parallel` or `blocking`"
                }
                Role::Tell => "unknown #[tell] option; expected `parallel` or `blocking`",
                Role::OnStart | Role::OnStop | Role::OnExit | Role::OnDown => {
                    "this attribute takes no options"
                }
            }))
        }
    })?;
    Ok(options)
}

fn parse_timeout(meta: &ParseNestedMeta<'_>) -> syn::Result<(Duration, Span)> {
    let value: LitStr = meta.value()?.parse()?;
    match humantime::parse_duration(&value.value()) {
        Ok(duration) if !duration.is_zero() => Ok((duration, value.span())),
        Ok(_) => Err(syn::Error::new_spanned(
            &value,
            "a timeout must be longer than zero",
        )),
        Err(error) => Err(syn::Error::new_spanned(
            &value,
            format!("not a duration ({error}); write it like \"2s\", \"500ms\" or \"1m 30s\""),
        )),
    }
}
