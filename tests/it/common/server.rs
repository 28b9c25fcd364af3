//! Running the real server for tests.

use segue::config::Config;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The real server, in this process, on `127.0.0.1:0` with a temp data dir.
pub struct TestServer {
    pub addr: SocketAddr,
    pub data_dir: Arc<tempfile::TempDir>,
    pub state: actix_web::web::Data<segue::http::AppState>,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Starts with `Config::for_test` adjusted by `tweak`.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
        let mut config = Config::for_test(dir.path());
        tweak(&mut config);
        Self::start_in(dir, config).await
    }

    /// Starts on an existing data dir (to test restarts).
    pub async fn start_in(dir: Arc<tempfile::TempDir>, config: Config) -> TestServer {
        config.validate().expect("test config is valid");
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            actix_rt::System::new().block_on(async move {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
                let (handle, server) = segue::run(listener, config).await.expect("server starts");
                let task = actix_rt::spawn(server);
                let _ = ready_tx.send((handle.addr, handle.state.clone()));
                // Wait for the stop signal without blocking the actix thread.
                let (tx, rx) = tokio::sync::oneshot::channel();
                std::thread::spawn(move || {
                    let _ = stop_rx.recv();
                    let _ = tx.send(());
                });
                let _ = rx.await;
                handle.shutdown().await;
                let _ = task.await;
            });
        });
        let (addr, state) = ready_rx.await.expect("server thread started");
        TestServer {
            addr,
            data_dir: dir,
            state,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/v1/ws", self.addr)
    }

    pub fn config(&self) -> Config {
        (*self.state.config).clone()
    }

    pub fn client(&self) -> super::TestClient {
        super::TestClient::new(&format!("http://{}", self.addr))
    }

    /// Graceful stop; returns the data dir so a new server can start on it.
    pub async fn stop(mut self) -> Arc<tempfile::TempDir> {
        self.stop_inner().await;
        self.data_dir.clone()
    }

    async fn stop_inner(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
    }

    /// Stop, then start again on the same data dir and config (a new port).
    pub async fn restart(self) -> TestServer {
        let config = self.config();
        let dir = self.stop().await;
        TestServer::start_in(dir, config).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// The real `segue` binary as a child process, for `kill -9` tests.
pub struct ProcessServer {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    child: std::process::Child,
}

impl ProcessServer {
    /// Starts `segue serve` on a free port with the given data dir and extra env.
    pub async fn start(data_dir: &Path, env: &[(&str, &str)]) -> ProcessServer {
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        // The child's log goes to a file beside its data, not into the test output: an outage
        // test makes a server warn on purpose. The file's tail is printed if the test fails.
        let log_path = data_dir.join(CHILD_LOG);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("open the child's log file");
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_segue"));
        cmd.args(["serve", "--listen", &addr.to_string(), "--data-dir"])
            .arg(data_dir)
            .env("SEGUE_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(log);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn segue");
        let server = ProcessServer {
            addr,
            data_dir: data_dir.to_path_buf(),
            child,
        };
        let url = format!("http://{addr}/readyz");
        super::wait_until(
            std::time::Duration::from_secs(30),
            "segue process ready",
            || {
                let url = url.clone();
                async move { matches!(reqwest::get(&url).await, Ok(r) if r.status().is_success()) }
            },
        )
        .await;
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/v1/ws", self.addr)
    }

    pub fn client(&self) -> super::TestClient {
        super::TestClient::new(&format!("http://{}", self.addr))
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM (graceful shutdown), then waits up to `timeout` for the process to exit.
    /// `None` when it is still running after `timeout`.
    pub async fn terminate(
        &mut self,
        timeout: std::time::Duration,
    ) -> Option<std::process::ExitStatus> {
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// The file in a `ProcessServer`'s data dir that holds the child's stderr.
pub const CHILD_LOG: &str = "segue-stderr.log";

/// How much of the child's log a failing test prints.
const CHILD_LOG_TAIL_LINES: usize = 60;

impl Drop for ProcessServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let text = std::fs::read_to_string(self.data_dir.join(CHILD_LOG)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(CHILD_LOG_TAIL_LINES)..];
            eprintln!(
                "--- last {} lines of the segue process's log ---\n{}",
                tail.len(),
                tail.join("\n")
            );
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
