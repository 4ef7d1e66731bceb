//! The servers tests start, and where their programs are.
//!
//! Cargo runs each test binary from its own crate's folder, so a relative path handed to a test
//! (`target/tools/…`) names nothing there. Every tool path here is absolute: an environment
//! variable's relative value is taken from the workspace root, and the default is found in the
//! build the test binary itself belongs to (whatever `CARGO_TARGET_DIR` is, or a `target` symlink).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Why a test's server could not be had. Each message says which program and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{program} is not at {path}: run the tests with `make test`, which installs it there (or set {variable} to its path)")]
    Missing {
        program: &'static str,
        path: PathBuf,
        variable: &'static str,
    },
    #[error("cannot start {path}: {source}")]
    Spawn {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no free loopback port: {0}")]
    NoPort(#[source] std::io::Error),
    #[error("{program} did not listen on 127.0.0.1:{port} within {seconds} s")]
    NotListening {
        program: &'static str,
        port: u16,
        seconds: u64,
    },
    #[error("{program} exited while starting ({status})")]
    Exited {
        program: &'static str,
        status: std::process::ExitStatus,
    },
}

/// The workspace root: two folders above this crate's manifest.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/<name> sits two folders below the workspace root")
        .to_path_buf()
}

/// The cargo target folder the running test binary was built into: the binary lives at
/// `<target>/<profile>/deps/<name>-<hash>`. `None` if the binary is not in that layout.
pub fn target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    (deps.file_name()? == "deps").then(|| deps.parent()?.parent().map(Path::to_path_buf))?
}

/// Where a tool is: `$variable` if set (a relative value is taken from the workspace root, not the
/// working directory), else `default_in_target` under the test binary's own target folder.
pub fn tool_path(variable: &str, default_in_target: &str) -> PathBuf {
    match std::env::var_os(variable) {
        Some(value) => absolute_from(&workspace_root(), Path::new(&value)),
        None => target_dir()
            .unwrap_or_else(|| workspace_root().join("target"))
            .join(default_in_target),
    }
}

/// `path` if absolute, else `base/path`.
pub fn absolute_from(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// A free TCP port on 127.0.0.1, as the OS hands it out.
pub fn free_port() -> Result<u16, ServiceError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(ServiceError::NoPort)
}

/// A server process on a loopback port, killed when dropped.
pub struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts `path args…` and waits until it accepts connections on `port` (or fails: it exited,
    /// or `timeout` passed). Its output is discarded.
    pub fn start(
        program: &'static str,
        path: &Path,
        args: &[String],
        port: u16,
        timeout: Duration,
    ) -> Result<Self, ServiceError> {
        let child = Command::new(path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| ServiceError::Spawn {
                path: path.to_path_buf(),
                source,
            })?;
        let mut server = Self { child, port };
        let deadline = Instant::now() + timeout;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(ServiceError::Exited { program, status });
            }
            if Instant::now() >= deadline {
                return Err(ServiceError::NotListening {
                    program,
                    port,
                    seconds: timeout.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto server (pinned, installed by `make test` into the deployment tools' virtualenv).
pub struct Moto {
    server: Server,
}

impl Moto {
    /// The variable that overrides where moto_server is.
    pub const VARIABLE: &'static str = "MOTO_SERVER";
    /// Where `make test` installs it, under the target folder.
    pub const IN_TARGET: &'static str = "tools/deploy-venv/bin/moto_server";

    /// Where moto_server is for this test run.
    pub fn program() -> PathBuf {
        tool_path(Self::VARIABLE, Self::IN_TARGET)
    }

    /// Starts moto on a free port and waits until it listens.
    pub fn start() -> Result<Self, ServiceError> {
        let path = Self::program();
        if !path.is_file() {
            return Err(ServiceError::Missing {
                program: "moto_server",
                path,
                variable: Self::VARIABLE,
            });
        }
        let port = free_port()?;
        let args = [
            "-H".to_string(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
        ];
        let server = Server::start("moto_server", &path, &args, port, Duration::from_secs(60))?;
        Ok(Self { server })
    }

    pub fn endpoint(&self) -> String {
        self.server.endpoint()
    }

    /// POSTs JSON to moto's own API (seeding results, state transitions); panics unless it
    /// answers 2xx, with the answer in the message.
    pub fn post(&self, path: &str, body: impl std::fmt::Display) {
        self.request(
            path,
            "Content-Type: application/json\r\n",
            &body.to_string(),
        );
    }

    /// Calls an AWS JSON-protocol action (`service` as in a signature's scope, e.g. `ssm`;
    /// `target` e.g. `AmazonSSM.PutParameter`) with moto's test credentials; panics unless moto
    /// answers 2xx. Returns the response body.
    pub fn aws_json(&self, service: &str, target: &str, body: impl std::fmt::Display) -> String {
        let headers = format!(
            "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: {target}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-2/{service}/aws4_request, \
             SignedHeaders=host, Signature=0\r\n"
        );
        self.request("/", &headers, &body.to_string())
    }

    /// PUTs to moto's S3 (`/bucket` creates a bucket, `/bucket/key` writes an object), with its
    /// test credentials; panics unless moto answers 2xx.
    pub fn s3_put(&self, path: &str, body: &str) {
        self.send(
            "PUT",
            path,
            "Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-2/s3/aws4_request, \
             SignedHeaders=host, Signature=0\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n",
            body,
        );
    }

    fn request(&self, path: &str, headers: &str, body: &str) -> String {
        self.send("POST", path, headers, body)
    }

    fn send(&self, method: &str, path: &str, headers: &str, body: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.server.port()))
            .unwrap_or_else(|e| panic!("moto at {}: {e}", self.endpoint()));
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .and_then(|_| s.flush())
        .unwrap_or_else(|e| panic!("moto {path}: {e}"));
        let mut response = String::new();
        s.read_to_string(&mut response)
            .unwrap_or_else(|e| panic!("moto {path}: {e}"));
        assert!(
            response.starts_with("HTTP/1.1 20") || response.starts_with("HTTP/1.0 20"),
            "moto {path}: {response}"
        );
        response
            .split_once("\r\n\r\n")
            .map_or_else(String::new, |(_, body)| body.to_string())
    }
}

/// A Trino server for the tests: the one at `TRINO_URL` (what `make test` starts once per run, or a
/// team's own cluster), else one this test binary starts from the install `make trino-install` left
/// in its target folder, shared by the binary's tests and killed when the binary exits.
pub struct Trino {
    url: String,
    run_dir: Option<PathBuf>,
}

/// Why no Trino could be had, in words that say which step failed and what to do.
#[derive(Clone, Debug, thiserror::Error)]
#[error("no Trino for the tests: {0}")]
pub struct TrinoUnavailable(String);

impl Trino {
    /// The server URL variable; `make test` sets it to the server it started.
    pub const VARIABLE: &'static str = "TRINO_URL";
    /// The pid of the `TRINO_URL` server while it may still be starting (`make test` sets it).
    pub const STARTING_PID_VARIABLE: &'static str = "TRINO_STARTING_PID";
    /// Where `make trino-install` puts the server, under the target folder.
    pub const IN_TARGET: &'static str = "tools";

    /// The shared server of this test binary, started on first use.
    pub fn shared() -> Result<&'static Trino, TrinoUnavailable> {
        static SHARED: std::sync::OnceLock<Result<Trino, TrinoUnavailable>> =
            std::sync::OnceLock::new();
        SHARED
            .get_or_init(Self::find_or_start)
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The folder of a server this binary started (its log is `server.log` there).
    pub fn run_dir(&self) -> Option<&Path> {
        self.run_dir.as_deref()
    }

    fn find_or_start() -> Result<Trino, TrinoUnavailable> {
        if let Some(url) = std::env::var_os(Self::VARIABLE) {
            let url = url.to_string_lossy().trim_end_matches('/').to_string();
            // `make test` starts its server without waiting for it, so the DuckDB binaries run
            // while it starts: wait for it as long as its process lives, else a few seconds.
            let starting = std::env::var(Self::STARTING_PID_VARIABLE)
                .ok()
                .and_then(|pid| pid.trim().parse::<i32>().ok());
            let (server, timeout) = match starting {
                Some(pid) => (TrinoProcess::Pid(pid), Duration::from_secs(240)),
                None => (TrinoProcess::Elsewhere, Duration::from_secs(5)),
            };
            wait_for_trino(&url, server, timeout).map_err(TrinoUnavailable)?;
            return Ok(Trino { url, run_dir: None });
        }
        let tools = target_dir()
            .unwrap_or_else(|| workspace_root().join("target"))
            .join(Self::IN_TARGET);
        let script = workspace_root().join("tools/trino");
        let port = free_port().map_err(|e| TrinoUnavailable(e.to_string()))?;
        remove_stale_run_dirs(&tools);
        let run_dir = tools.join(format!("{TEST_RUN_PREFIX}{}", std::process::id()));
        let configure = Command::new(&script)
            .arg("configure")
            .arg(&tools)
            .arg(&run_dir)
            .arg(port.to_string())
            .output()
            .map_err(|e| TrinoUnavailable(format!("cannot run {}: {e}", script.display())))?;
        if !configure.status.success() {
            return Err(TrinoUnavailable(
                String::from_utf8_lossy(&configure.stderr)
                    .trim()
                    .to_string(),
            ));
        }
        let log = std::fs::File::create(run_dir.join("server.log"))
            .map_err(|e| TrinoUnavailable(format!("{}: {e}", run_dir.display())))?;
        let mut command = Command::new(&script);
        command
            .arg("run")
            .arg(&tools)
            .arg(&run_dir)
            .stdin(Stdio::null())
            .stdout(
                log.try_clone()
                    .map_err(|e| TrinoUnavailable(e.to_string()))?,
            )
            .stderr(log);
        let mut child = spawn_tied_to_this_process(command)
            .map_err(|e| TrinoUnavailable(format!("cannot start {}: {e}", script.display())))?;
        let url = format!("http://127.0.0.1:{port}");
        if let Err(e) = wait_for_trino(
            &url,
            TrinoProcess::Child(&mut child),
            Duration::from_secs(240),
        ) {
            let _ = child.kill();
            let log = std::fs::read_to_string(run_dir.join("server.log")).unwrap_or_default();
            return Err(TrinoUnavailable(format!(
                "{e} (log: {})\n{}",
                run_dir.join("server.log").display(),
                why_it_stopped(&log)
            )));
        }
        Ok(Trino {
            url,
            run_dir: Some(run_dir),
        })
    }
}

/// The folders of servers test binaries started: `trino-test-<pid>`.
const TEST_RUN_PREFIX: &str = "trino-test-";

/// Removes the folders of earlier test binaries' servers whose process has ended.
fn remove_stale_run_dirs(tools: &Path) {
    let Ok(entries) = std::fs::read_dir(tools) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(TEST_RUN_PREFIX) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// What a server log says about why it stopped: its error lines (Trino lists every configuration
/// error as `N) Error: …`, tools/trino says `trino: …`), else its last lines.
fn why_it_stopped(log: &str) -> String {
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(") Error: ") || l.starts_with("trino: ") || l.contains("\tERROR\t"))
        .take(10)
        .collect();
    if !errors.is_empty() {
        return errors.join("\n");
    }
    let tail: Vec<&str> = log.lines().rev().take(15).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// Spawns `command` from a thread that lives as long as the process, with the kernel told to kill
/// the child when that thread (so the process) ends: a test binary never leaves a server behind.
fn spawn_tied_to_this_process(mut command: Command) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("server-parent".into())
        .spawn(move || {
            // SAFETY: prctl and getppid are async-signal-safe; nothing else runs between fork and exec.
            unsafe {
                command.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
            let _ = sender.send(command.spawn());
            loop {
                std::thread::park();
            }
        })?;
    receiver
        .recv()
        .map_err(|e| std::io::Error::other(e.to_string()))?
}

/// The process behind a Trino URL, as far as a test can watch it.
enum TrinoProcess<'a> {
    /// Started by this binary.
    Child(&'a mut Child),
    /// Started by `make test` (`TRINO_STARTING_PID`).
    Pid(i32),
    /// A team's own server: nothing to watch.
    Elsewhere,
}

impl TrinoProcess<'_> {
    /// Whether the process is known to have ended, and how.
    fn exited(&mut self) -> Option<String> {
        match self {
            TrinoProcess::Child(child) => match child.try_wait() {
                Ok(Some(status)) => Some(status.to_string()),
                _ => None,
            },
            // SAFETY: kill with signal 0 only asks whether the process exists.
            TrinoProcess::Pid(pid) => (unsafe { libc::kill(*pid, 0) } != 0)
                .then(|| format!("process {pid} has ended; its log is server.log in make test's trino-make-test folder")),
            TrinoProcess::Elsewhere => None,
        }
    }
}

/// Waits until the server at `url` says it is no longer starting; fails at once if its process
/// exits.
fn wait_for_trino(
    url: &str,
    mut server: TrinoProcess<'_>,
    timeout: Duration,
) -> Result<(), String> {
    let address = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(how) = server.exited() {
            return Err(format!("the Trino server exited while starting ({how})"));
        }
        if let Ok(mut s) = TcpStream::connect(&address) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let request =
                format!("GET /v1/info HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            if s.write_all(request.as_bytes()).is_ok()
                && s.read_to_string(&mut answer).is_ok()
                && answer.contains("\"starting\":false")
            {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "Trino at {url} did not answer as started within {} s",
                timeout.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_tool_paths_are_taken_from_the_workspace_root_not_the_working_directory() {
        let root = workspace_root();
        assert!(root.join("Cargo.toml").is_file(), "{}", root.display());
        assert!(root.join("crates/test-services/Cargo.toml").is_file());
        let p = absolute_from(&root, Path::new("target/tools/deploy-venv/bin/moto_server"));
        assert!(p.is_absolute());
        assert_eq!(p, root.join("target/tools/deploy-venv/bin/moto_server"));
        assert_eq!(
            absolute_from(&root, Path::new("/opt/moto_server")),
            PathBuf::from("/opt/moto_server")
        );
    }

    #[test]
    fn the_default_is_in_the_build_this_test_binary_belongs_to() {
        let target = target_dir().expect("a test binary runs from <target>/<profile>/deps");
        assert!(target.is_absolute());
        let exe = std::env::current_exe().unwrap();
        assert!(
            exe.starts_with(&target),
            "{} in {}",
            exe.display(),
            target.display()
        );
        // The profile folder holds the build's fingerprints: this really is cargo's target folder.
        assert!(exe
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join(".fingerprint")
            .is_dir());
    }

    #[test]
    fn a_missing_program_names_itself_and_the_fix() {
        let e = ServiceError::Missing {
            program: "moto_server",
            path: PathBuf::from("/nowhere/moto_server"),
            variable: "MOTO_SERVER",
        };
        let text = e.to_string();
        assert!(
            text.contains("/nowhere/moto_server") && text.contains("make test"),
            "{text}"
        );
    }

    #[test]
    fn a_program_that_exits_at_once_fails_fast_not_after_the_timeout() {
        // Exited (not NotListening, which only comes at the deadline) is the proof of no wait.
        let port = free_port().unwrap();
        let e = Server::start(
            "false",
            Path::new("/bin/false"),
            &[],
            port,
            Duration::from_secs(600),
        )
        .err()
        .expect("/bin/false never listens");
        assert!(matches!(e, ServiceError::Exited { .. }), "{e}");
    }

    #[test]
    fn a_starting_server_is_waited_for_while_its_process_lives_and_no_longer() {
        let url = format!("http://127.0.0.1:{}", free_port().unwrap());
        // A process that has ended: the wait stops at once, not at its 600 s deadline.
        let mut ended = Command::new("/bin/true").spawn().unwrap();
        let pid = ended.id() as i32;
        ended.wait().unwrap();
        let began = Instant::now();
        let e = wait_for_trino(&url, TrinoProcess::Pid(pid), Duration::from_secs(600)).unwrap_err();
        assert!(e.contains(&format!("process {pid} has ended")), "{e}");
        assert!(began.elapsed() < Duration::from_secs(60));
        // A live process (this one) that never answers: waited for until the deadline.
        let e = wait_for_trino(
            &url,
            TrinoProcess::Pid(std::process::id() as i32),
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(e.contains("did not answer as started within 1 s"), "{e}");
    }
}

/// What a leak of the hash key would look like in a record (a query history, state data, a log).
pub mod leaks {
    /// Every 44-character standard Base64 text of 32 bytes in `text` (43 Base64 characters and
    /// one `=`): the shape of the hash key, and of an `nhsnumberhash`, neither of which belongs
    /// in any record a query, a machine or a log leaves.
    pub fn base64_keys(text: &str) -> Vec<String> {
        let is_b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
        let bytes = text.as_bytes();
        let mut found = Vec::new();
        let mut run_start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if is_b64(b) {
                continue;
            }
            let run = i - run_start;
            let single_pad = b == b'=' && bytes.get(i + 1) != Some(&b'=');
            if single_pad && run >= 43 {
                found.push(text[i - 43..=i].to_string());
            }
            run_start = i + 1;
        }
        found
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn finds_the_shape_of_a_key_and_nothing_shorter_or_hex() {
            let key = "dGVzdC1oYXNoLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA=";
            assert_eq!(
                super::base64_keys(&format!("USING '{key}', 'x'")),
                vec![key.to_string()]
            );
            assert_eq!(
                super::base64_keys(&format!("\"v\":\"{key}\"")),
                vec![key.to_string()]
            );
            assert!(super::base64_keys(&"EB".repeat(32)).is_empty());
            assert!(super::base64_keys("YWJj=").is_empty());
            assert!(super::base64_keys(&format!("{}==", &key[..42])).is_empty());
        }
    }
}
