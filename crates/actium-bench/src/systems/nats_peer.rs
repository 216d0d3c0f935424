//! What the NATS workloads share: the `nats-server` of a run, and the
//! serving side of a workload, in a process of its own (as the TCP remote
//! workloads' server is) or, in tests, on a thread of the test process
//! (whose binary has no `serve-*` subcommands).

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;

use actium::nats::{LocalServer, LocalServerError};
use tokio::sync::oneshot;

use crate::workload::{Workload, helper_process};

/// The cluster the benchmark's nodes join.
pub const CLUSTER: &str = "bench";

/// Starts this run's own `nats-server`; `None` (with a note on standard
/// error) when it is not installed, so that the workload is skipped.
pub fn local_server(workload: Workload) -> Option<LocalServer> {
    match LocalServer::start() {
        Ok(server) => Some(server),
        Err(LocalServerError::NotInstalled) => {
            eprintln!(
                "note: nats-server is not installed (scripts/install-nats): {workload} skipped"
            );
            None
        }
        Err(error) => panic!("cannot start nats-server for {workload}: {error}"),
    }
}

/// How a serving side says it is ready: the one line it would print.
pub type Ready = Box<dyn FnOnce(String) + Send>;

/// A serving side: `serve(url, ready, stop)` connects to the NATS server
/// at `url`, calls `ready` with its line, and serves until `stop` fires.
pub type Serve = fn(String, Ready, oneshot::Receiver<()>);

/// The serving side of one run, stopped when dropped.
pub struct Peer {
    /// What the serving side printed when ready.
    pub line: String,
    child: Option<Child>,
    thread: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Peer {
    /// Starts `subcommand url` as a child process, or under `cfg(test)`
    /// runs `serve` on a thread of this process.
    pub fn start(subcommand: &str, serve: Serve, url: &str) -> Peer {
        if cfg!(test) {
            return Peer::on_thread(serve, url);
        }
        let mut child = match helper_process(&[subcommand, url])
            .and_then(|mut command| command.stdout(Stdio::piped()).spawn())
        {
            Ok(child) => child,
            Err(error) => panic!("cannot start the serving process: {error}"),
        };
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = BufReader::new(stdout).read_line(&mut line);
        }
        if line.trim().is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the serving process {subcommand} did not say it was ready");
        }
        Peer {
            line: line.trim().to_owned(),
            child: Some(child),
            thread: None,
        }
    }

    fn on_thread(serve: Serve, url: &str) -> Peer {
        let (stop, stopped) = oneshot::channel();
        let (ready, line) = mpsc::channel();
        let url = url.to_owned();
        let thread = std::thread::spawn(move || {
            serve(
                url,
                Box::new(move |line| {
                    let _ = ready.send(line);
                }),
                stopped,
            );
        });
        let Ok(line) = line.recv() else {
            let _ = thread.join();
            panic!("the serving thread ended before it was ready");
        };
        Peer {
            line,
            child: None,
            thread: Some((stop, thread)),
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some((stop, thread)) = self.thread.take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }
}

/// The serving process's entry point: prints its line, then serves until
/// killed.
pub fn serve_process(serve: Serve, url: String) {
    let (_keep, stop) = oneshot::channel();
    serve(
        url,
        Box::new(|line| {
            println!("{line}");
        }),
        stop,
    );
}
