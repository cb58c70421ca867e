//! Running an example as its own process on ephemeral ports, reading the
//! addresses it prints.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Running {
    pub child: Child,
    pub addrs: Vec<String>,
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name);
    assert!(
        dir.exists(),
        "{} is missing: run `cargo test` (which builds the examples) or `cargo build --examples`",
        dir.display()
    );
    dir
}

pub fn spawn(name: &str, args: &[&str], env: &[(&str, &str)], servers: usize) -> Running {
    let mut cmd = Command::new(example_path(name));
    cmd.args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let started = Instant::now();
    loop {
        let addrs: Vec<String> = lines
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| {
                l.strip_prefix("listening on ")
                    .map(|a| a.split(' ').next().unwrap().to_owned())
            })
            .collect();
        if addrs.len() >= servers {
            return Running {
                child,
                addrs,
                lines,
            };
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "example {name} exited early with {status}; output: {:?}",
                lines.lock().unwrap()
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "example {name} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
