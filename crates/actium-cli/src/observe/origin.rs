//! Which requests the page's server answers: only those a browser sends
//! for this server's own address, so that a page elsewhere cannot read
//! it by DNS rebinding (pointing a name of its own at 127.0.0.1, then
//! fetching from it as from its own origin).
//!
//! The browser names the server in the `Host` header as the user typed
//! it: `localhost` or an IP address, with the server's port. A rebinding
//! page's requests carry its own name (`evil.example:4545`), which no IP
//! address or `localhost` is, so they get 403. Clients without a `Host`
//! header (HTTP/1.0 tools; browsers always send one) are answered.

use std::net::IpAddr;

/// Whether a request whose `Host` header is `host` may be answered by
/// the server listening on port `port`.
pub(crate) fn host_allowed(host: Option<&str>, port: u16) -> bool {
    let Some(host) = host else {
        return true;
    };
    let (name, port_given) = split(host.trim());
    let same_port = match port_given {
        None => port == 80,
        Some(given) => given.parse::<u16>().ok() == Some(port),
    };
    same_port && (name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok())
}

/// `name` and `port` of `name:port`, with IPv6 addresses in brackets
/// (`[::1]:4545`) given without them.
fn split(host: &str) -> (&str, Option<&str>) {
    if let Some(rest) = host.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((ip, "")) => (ip, None),
            Some((ip, after)) => match after.strip_prefix(':') {
                Some(port) => (ip, Some(port)),
                // `[::1]x`: nothing an address is.
                None => ("", None),
            },
            None => ("", None),
        };
    }
    match host.rsplit_once(':') {
        // A bare IPv6 address has several colons and no port.
        Some((name, _)) if name.contains(':') => (host, None),
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    }
}

#[cfg(test)]
mod tests {
    use super::host_allowed;

    #[test]
    fn the_servers_own_addresses_are_answered() {
        for host in [
            "127.0.0.1:4545",
            "localhost:4545",
            "LOCALHOST:4545",
            "[::1]:4545",
            "192.168.1.20:4545",
        ] {
            assert!(host_allowed(Some(host), 4545), "{host}");
        }
        assert!(host_allowed(Some("127.0.0.1"), 80));
        assert!(host_allowed(None, 4545), "no Host header: not a browser");
    }

    #[test]
    fn other_names_and_ports_are_refused() {
        for host in [
            "evil.example:4545",
            "evil.example",
            "localhost.evil.example:4545",
            "127.0.0.1.evil.example:4545",
            "127.0.0.1:4546",
            "127.0.0.1",
            "[::1]x:4545",
            "[::1:4545",
            "",
            "127.0.0.1:port",
        ] {
            assert!(!host_allowed(Some(host), 4545), "{host}");
        }
    }
}
