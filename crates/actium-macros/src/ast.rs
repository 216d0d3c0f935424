//! A typed view of an `#[actor]` impl block, keeping the user's spans.
//!
//! Building the view only classifies; judging what is allowed is `valid`'s
//! job, so that every rule and its message live in one place.

use syn::{
    Attribute, FnArg, Ident, ImplItem, ImplItemFn, ItemImpl, Pat, Receiver, ReturnType, Type,
    Visibility,
};

use crate::attr::{self, ActorOptions, MethodOptions, Role};

pub(crate) struct Actor<'a> {
    pub(crate) item: &'a ItemImpl,
    /// The actor's type name; `None` when the self type is not a plain name
    /// (reported by `valid`).
    pub(crate) name: Option<Ident>,
    pub(crate) options: ActorOptions,
    /// Every method carrying one of our attributes, in source order.
    pub(crate) methods: Vec<Method<'a>>,
    /// The other methods that take `self`: the actor's own helpers, which
    /// its messages may call but its references may not.
    pub(crate) helpers: Vec<&'a ImplItemFn>,
}

pub(crate) struct Method<'a> {
    pub(crate) item: &'a ImplItemFn,
    pub(crate) role: Role,
    pub(crate) role_attr: &'a Attribute,
    /// Further role attributes on the same method (an error).
    pub(crate) extra_roles: Vec<&'a Attribute>,
    pub(crate) options: MethodOptions,
    pub(crate) params: Vec<Param<'a>>,
}

/// One parameter after `self`.
pub(crate) enum Param<'a> {
    /// Carried in the message.
    Arg {
        name: Option<Ident>,
        pat: &'a Pat,
        ty: &'a Type,
    },
    /// `&mut Context<Self>`: passed by the runtime.
    Context { ty: &'a Type },
    /// `Reentrant<Self>`: what a `parallel` method gets instead of `self`.
    Reentrant { ty: &'a Type },
    /// `&ExitReason`: passed to `#[on_stop]`.
    ExitReason { ty: &'a Type },
}

impl<'a> Method<'a> {
    pub(crate) fn name(&self) -> &'a Ident {
        &self.item.sig.ident
    }

    pub(crate) fn receiver(&self) -> Option<&'a Receiver> {
        self.item.sig.receiver()
    }

    pub(crate) fn vis(&self) -> &'a Visibility {
        &self.item.vis
    }

    pub(crate) fn is_async(&self) -> bool {
        self.item.sig.asyncness.is_some()
    }

    pub(crate) fn is_parallel(&self) -> bool {
        self.options.parallel.is_some()
    }

    pub(crate) fn output(&self) -> Option<&'a Type> {
        match &self.item.sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some(ty),
        }
    }

    /// The arguments carried in the message, with their names.
    pub(crate) fn args(&self) -> impl Iterator<Item = (&Ident, &'a Type)> {
        self.params.iter().filter_map(|param| match param {
            Param::Arg {
                name: Some(name),
                ty,
                ..
            } => Some((name, *ty)),
            _ => None,
        })
    }

    /// The user's doc comments, to repeat on the proxy method.
    pub(crate) fn docs(&self) -> impl Iterator<Item = &'a Attribute> {
        self.item
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("doc"))
    }
}

impl<'a> Actor<'a> {
    pub(crate) fn from_syn(item: &'a ItemImpl, options: ActorOptions) -> syn::Result<Self> {
        // `Store<T>` still has a name; its generics are `valid`'s concern.
        let name = match &*item.self_ty {
            Type::Path(path) if path.qself.is_none() && path.path.segments.len() == 1 => path
                .path
                .segments
                .first()
                .map(|segment| segment.ident.clone()),
            _ => None,
        };
        let mut methods = Vec::new();
        let mut helpers = Vec::new();
        let mut errors: Option<syn::Error> = None;
        for impl_item in &item.items {
            let ImplItem::Fn(function) = impl_item else {
                continue;
            };
            match Method::from_syn(function) {
                Ok(Some(method)) => methods.push(method),
                Ok(None) if function.sig.receiver().is_some() => helpers.push(function),
                Ok(None) => {}
                Err(error) => match &mut errors {
                    Some(errors) => errors.combine(error),
                    None => errors = Some(error),
                },
            }
        }
        match errors {
            Some(errors) => Err(errors),
            None => Ok(Actor {
                item,
                name,
                options,
                methods,
                helpers,
            }),
        }
    }

    pub(crate) fn role(&self, role: Role) -> impl Iterator<Item = &Method<'a>> {
        self.methods.iter().filter(move |m| m.role == role)
    }

    /// Exported methods: the actor's messages.
    pub(crate) fn messages(&self) -> impl Iterator<Item = &Method<'a>> {
        self.methods
            .iter()
            .filter(|m| matches!(m.role, Role::Tell | Role::Ask))
    }
}

impl<'a> Method<'a> {
    fn from_syn(item: &'a ImplItemFn) -> syn::Result<Option<Self>> {
        let mut roles = item
            .attrs
            .iter()
            .filter_map(|attr| Role::of(attr).map(|role| (role, attr)));
        let Some((role, role_attr)) = roles.next() else {
            return Ok(None);
        };
        let extra_roles = roles.map(|(_, attr)| attr).collect();
        let options = attr::method_options(role_attr, role)?;
        let params = item
            .sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                FnArg::Receiver(_) => None,
                FnArg::Typed(typed) => Some(Param::classify(&typed.pat, &typed.ty)),
            })
            .collect();
        Ok(Some(Method {
            item,
            role,
            role_attr,
            extra_roles,
            options,
            params,
        }))
    }
}

impl<'a> Param<'a> {
    pub(crate) fn classify(pat: &'a Pat, ty: &'a Type) -> Self {
        if last_segment_is(ty, "Reentrant") {
            return Param::Reentrant { ty };
        }
        if let Type::Reference(reference) = ty {
            if last_segment_is(&reference.elem, "Context") {
                return Param::Context { ty };
            }
            if last_segment_is(&reference.elem, "ExitReason") {
                return Param::ExitReason { ty };
            }
        }
        let name = match pat {
            Pat::Ident(ident) if ident.subpat.is_none() => Some(ident.ident.clone()),
            _ => None,
        };
        Param::Arg { name, pat, ty }
    }
}

fn last_segment_is(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == name),
        _ => false,
    }
}
