//! The floor of the remote workloads: hand-written length-prefixed frames
//! on Tokio TCP between two processes. A frame is a `u32` length and a
//! payload whose first byte says what it is: 0 an ask (echoed at once), 1 a
//! tell (counted), 2 "how many tells?" (answered with the count).

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader as AsyncBufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};

use crate::workload::{Measurement, Workload, check, helper_process, tokio_runtime};

const ASK: u8 = 0;
const TELL: u8 = 1;
const COUNT: u8 = 2;

/// The server process: prints its port, then serves one connection from a
/// task of the runtime (as a Tokio server's connections are).
pub fn serve() {
    let runtime = tokio_runtime();
    let server = runtime.spawn(async {
        let listener = match TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(error) => panic!("cannot listen: {error}"),
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        println!("{port}");
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let mut read = AsyncBufReader::new(read);
        let mut write = BufWriter::new(write);
        let mut tells = 0_u64;
        let mut payload = Vec::new();
        loop {
            let Ok(len) = read.read_u32_le().await else {
                return;
            };
            payload.resize(len as usize, 0);
            if read.read_exact(&mut payload).await.is_err() {
                return;
            }
            match payload.first() {
                Some(&ASK) => {
                    let _ = write.write_u32_le(len).await;
                    let _ = write.write_all(&payload).await;
                    let _ = write.flush().await;
                }
                Some(&TELL) => tells += 1,
                Some(&COUNT) => {
                    let _ = write.write_u32_le(8).await;
                    let _ = write.write_u64_le(tells).await;
                    let _ = write.flush().await;
                }
                _ => return,
            }
        }
    });
    let _ = runtime.block_on(server);
}

/// Starts a server process and returns it with its port.
pub fn start_server(subcommand: &str) -> (Child, u16) {
    let mut child = match helper_process(&[subcommand])
        .and_then(|mut command| command.stdout(Stdio::piped()).spawn())
    {
        Ok(child) => child,
        Err(error) => panic!("cannot start the server process: {error}"),
    };
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        let _ = BufReader::new(stdout).read_line(&mut line);
    }
    match line.trim().parse() {
        Ok(port) => (child, port),
        Err(_) => panic!("the server process did not print its port: {line:?}"),
    }
}

pub fn run(workload: Workload, n: u64) -> Option<Measurement> {
    if !matches!(workload, Workload::RemoteAsk | Workload::RemoteTell) {
        return None;
    }
    let (mut server, port) = start_server("serve-tcp-raw");
    let runtime = tokio_runtime();
    // The caller is a task of the runtime, as every system's caller is: a
    // future driven by `block_on` on the main thread would be woken from a
    // worker for every answer, which makes the floor slower than it is.
    let caller = runtime.spawn(async move {
        let stream = match TcpStream::connect(("127.0.0.1", port)).await {
            Ok(stream) => stream,
            Err(error) => panic!("cannot connect: {error}"),
        };
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let mut read = AsyncBufReader::new(read);
        let mut write = BufWriter::new(write);
        // A 16-byte payload, about the size of a small method call.
        let mut frame = [0_u8; 16];
        let start = Instant::now();
        match workload {
            Workload::RemoteAsk => {
                frame[0] = ASK;
                let mut answer = [0_u8; 16];
                for i in 0..n {
                    frame[8..].copy_from_slice(&i.to_le_bytes());
                    let _ = write.write_u32_le(16).await;
                    let _ = write.write_all(&frame).await;
                    let _ = write.flush().await;
                    let _ = read.read_u32_le().await;
                    let _ = read.read_exact(&mut answer).await;
                    check(answer == frame, "echoed frame");
                }
            }
            _ => {
                frame[0] = TELL;
                for i in 0..n {
                    frame[8..].copy_from_slice(&i.to_le_bytes());
                    let _ = write.write_u32_le(16).await;
                    let _ = write.write_all(&frame).await;
                }
                let _ = write.write_u32_le(1).await;
                let _ = write.write_u8(COUNT).await;
                let _ = write.flush().await;
                let _ = read.read_u32_le().await;
                let count = read.read_u64_le().await.unwrap_or(0);
                check(count == n, "tells counted by the server");
            }
        }
        Measurement::timed(n, start.elapsed())
    });
    let measurement = match runtime.block_on(caller) {
        Ok(measurement) => measurement,
        Err(error) => panic!("tcp-raw failed on {workload}: {error}"),
    };
    let _ = server.kill();
    let _ = server.wait();
    Some(measurement)
}
