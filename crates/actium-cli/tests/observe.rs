//! `actium observe` against a real node (issue 18): the binary serves its
//! page's JSON and SVG endpoints about a node in this process, asked over
//! TCP with the cluster's cookie. The page itself, in a browser, is
//! `observe_browser.rs`.

mod support;

use support::{COOKIE, Demo, Observer, TRICKY, get_as, handled};

#[test]
fn observe_serves_the_nodes_actors_as_json_and_their_messages_as_svg() {
    let demo = Demo::start(true);
    let observer = Observer::start(&demo.address, &["--cookie", COOKIE]);
    let first = observer.state_when("the ponger's row", |s| handled(s, "ponger").is_some());
    let before = handled(&first, "ponger").expect("a row");
    let updates = first["updates"].as_u64().expect("a count");
    let second = observer.state_when("a later snapshot", |s| {
        s["updates"].as_u64() > Some(updates) && handled(s, "ponger") > Some(before)
    });
    assert_eq!(second["node"], demo.address.as_str());
    assert_eq!(second["address"], demo.address.as_str());
    assert!(second["problem"].is_null(), "{second}");
    let names: Vec<&str> = second["names"]
        .as_array()
        .expect("names")
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(names, ["pinger", "ponger"]);
    let labels: Vec<&str> = second["tree"]
        .as_array()
        .expect("a tree")
        .iter()
        .filter_map(|row| row["label"].as_str())
        .collect();
    assert!(labels.iter().any(|l| l.starts_with("Ponger#")), "{second}");

    let (status, svg) = observer.get("/api/diagram.svg");
    assert_eq!(status, 200, "{svg}");
    assert!(svg.contains("<svg"), "{svg}");
    assert!(svg.contains("ping"), "the asks are drawn: {svg}");
    assert!(
        svg.contains(">ponger</text>") && svg.contains(">Ponger#"),
        "lifelines carry names: {svg}"
    );

    let (status, page) = observer.get("/");
    assert_eq!(status, 200);
    assert!(page.contains("/api/state.json") && page.contains("/api/diagram.svg"));
    assert!(
        !page.contains("__INTERVAL_MS__"),
        "the interval is filled in"
    );
    assert!(
        !page.contains("src=\"http"),
        "nothing is loaded from elsewhere"
    );
    let (status, _) = observer.get("/nowhere");
    assert_eq!(status, 404);
}

#[test]
fn the_diagram_shows_only_the_chosen_actors_and_names_a_stranger() {
    let demo = Demo::start(true);
    let observer = Observer::start(
        &demo.address,
        &["--cookie", COOKIE, "--actors", "ponger", "--last", "5"],
    );
    let state = observer.state_when("a diagram", |s| s["events"].as_u64() > Some(0));
    assert!(state["events"].as_u64() <= Some(5), "{state}");
    let (status, svg) = observer.get("/api/diagram.svg");
    assert_eq!(status, 200, "{svg}");
    assert!(svg.contains(">ponger</text>"), "{svg}");
    drop(observer);

    let stranger = Observer::start(&demo.address, &["--cookie", COOKIE, "--actors", "nobody"]);
    let state = stranger.state_when("the complaint", |s| s["diagram_problem"].is_string());
    let problem = state["diagram_problem"].as_str().unwrap_or_default();
    assert!(problem.contains("`nobody`"), "{problem}");
    let (status, body) = stranger.get("/api/diagram.svg");
    assert_eq!(status, 503);
    assert!(body.contains("`nobody`"), "{body}");
    assert!(handled(&state, "ponger").is_some(), "the table still shows");
}

#[test]
fn a_node_without_a_flight_recorder_says_so_and_still_shows_its_actors() {
    let demo = Demo::start(false);
    let observer = Observer::start(&demo.address, &["--cookie", COOKIE]);
    let state = observer.state_when("the complaint", |s| s["diagram_problem"].is_string());
    assert!(handled(&state, "ponger").is_some(), "{state}");
    let (status, body) = observer.get("/api/diagram.svg");
    assert_eq!(status, 503);
    assert!(body.contains("flight recorder"), "{body}");
}

#[test]
fn the_wrong_cookie_shows_on_the_page_and_on_standard_error() {
    let demo = Demo::start(true);
    let observer = Observer::start(&demo.address, &["--cookie", "wrong"]);
    let state = observer.state_when("the problem", |s| s["problem"].is_string());
    let problem = state["problem"].as_str().unwrap_or_default();
    assert!(
        problem.contains("cannot get a snapshot of tcp://"),
        "{problem}"
    );
    assert_eq!(state["actors"].as_array().map(Vec::len), Some(0));
    let errors = observer.stop();
    assert!(
        errors.contains("cannot get a snapshot of tcp://"),
        "{errors}"
    );
}

#[test]
fn a_request_naming_another_host_is_refused_and_nothing_allows_other_origins() {
    let demo = Demo::start(true);
    let observer = Observer::start(&demo.address, &["--cookie", COOKIE]);
    let port = observer.url.rsplit(':').next().expect("a port").to_owned();
    // A page of evil.example that rebound its name to 127.0.0.1.
    for path in ["/", "/api/state.json", "/api/diagram.svg"] {
        for host in ["evil.example".to_owned(), format!("evil.example:{port}")] {
            let (status, _, body) = get_as(&observer.url, path, &host);
            assert_eq!(status, 403, "{path} for {host}: {body}");
            assert!(body.contains("only for localhost"), "{body}");
            assert!(!body.contains("ponger"), "{body}");
        }
    }
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let (status, head, page) = get_as(&observer.url, "/", &host);
        assert_eq!(status, 200, "{host}: {head}");
        let head = head.to_ascii_lowercase();
        assert!(!head.contains("access-control-"), "no CORS: {head}");
        assert!(head.contains("x-content-type-options: nosniff"), "{head}");
        let policy = head
            .lines()
            .find_map(|line| line.strip_prefix("content-security-policy: "))
            .expect("a policy");
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce");
        assert!(
            page.contains(&format!("<script nonce=\"{nonce}\">")),
            "the page's own script carries the policy's nonce"
        );
    }
}

#[test]
fn texts_from_the_node_reach_the_page_escaped() {
    let demo = Demo::start(true);
    let name = format!("{TRICKY}-name");
    demo.trick(&name, TRICKY);
    let observer = Observer::start(&demo.address, &["--cookie", COOKIE]);
    let state = observer.state_when("the tricky actor's row", |s| {
        s["actors"]
            .as_array()
            .is_some_and(|actors| actors.iter().any(|a| a["name"] == name.as_str()))
    });
    // JSON keeps the text as it is: the page sets it as text, not markup.
    assert!(state["problem"].is_null(), "{state}");
    let (status, svg) = observer.get("/api/diagram.svg");
    assert_eq!(status, 200, "{svg}");
    assert!(
        !svg.contains("<script") && !svg.contains("<img") && !svg.contains("\"q\""),
        "nothing from the node is markup: {svg}"
    );
    assert!(
        svg.contains("&lt;script&gt;alert(&quot;x&quot;)"),
        "the name and the error are drawn escaped: {svg}"
    );
    assert!(svg.contains("&amp;amp;&quot;q&quot;&apos;"), "{svg}");
    let (status, page) = observer.get("/");
    assert_eq!(status, 200);
    assert!(
        !page.contains("innerHTML"),
        "the page adds text as text and the diagram as parsed SVG"
    );
}
