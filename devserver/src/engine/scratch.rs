//! Where in-memory stores live: a scratch directory under the system's temp dir, removed when the store
//! is dropped — and swept by the next dev server when its process died without dropping it.
//!
//! "In-memory" stores are SQLite files in WAL mode (several connections must share one store), so they
//! need a directory. A dev server stopped by SIGKILL, or by any signal it does not handle, never runs its
//! destructors, and test suites start and kill hundreds of them: left alone, their directories (each
//! with a WAL that can reach a hundred megabytes) fill the disk. So each directory is named after the
//! process that made it, and opening a new one first removes those whose process is gone.

use std::path::{Path, PathBuf};

/// Every scratch directory's name starts with this, then the owning process id and a random suffix.
const PREFIX: &str = "ydb-devserver-";

/// Makes a fresh scratch directory for this process, after sweeping the ones dead processes left.
pub fn create() -> std::io::Result<PathBuf> {
    let root = std::env::temp_dir();
    sweep(&root, is_running);
    let dir = root.join(format!("{PREFIX}{}-{}", std::process::id(), uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Removes the scratch directories under `root` whose owner `alive` says is gone. Names without a
/// process id (older dev servers) and anything unreadable are left alone.
fn sweep(root: &Path, alive: impl Fn(u32) -> bool) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name.to_str().and_then(owner_of) else { continue };
        if owner != std::process::id() && !alive(owner) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The process id in a scratch directory's name.
fn owner_of(name: &str) -> Option<u32> {
    let (pid, _) = name.strip_prefix(PREFIX)?.split_once('-')?;
    pid.parse().ok()
}

/// Whether a process with this id exists. Only Linux answers (through `/proc`); elsewhere every owner
/// counts as running, so nothing is swept by mistake.
fn is_running(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_owner() {
        assert_eq!(owner_of("ydb-devserver-4242-0b1c2d3e-aaaa-bbbb-cccc-000000000000"), Some(4242));
        assert_eq!(owner_of("ydb-devserver-0b1c2d3e-aaaa-bbbb-cccc-000000000000"), None);
        assert_eq!(owner_of("something-else"), None);
    }

    #[test]
    fn sweeps_only_directories_of_dead_owners() {
        let root = std::env::temp_dir().join(format!("scratch-test-{}", uuid::Uuid::new_v4()));
        let dead = root.join(format!("{PREFIX}111-x"));
        let live = root.join(format!("{PREFIX}222-y"));
        let old_style = root.join(format!("{PREFIX}0b1c2d3e-aaaa"));
        for d in [&dead, &live, &old_style] {
            std::fs::create_dir_all(d).unwrap();
            std::fs::write(d.join("ydb.sqlite"), b"x").unwrap();
        }
        sweep(&root, |pid| pid == 222);
        assert!(!dead.exists());
        assert!(live.exists());
        assert!(old_style.exists());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn this_process_is_running() {
        assert!(is_running(std::process::id()));
    }
}
