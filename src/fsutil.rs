//! Safe writes to the user's files: write a temporary file beside the target, fsync it,
//! then rename it over the target, so a reader sees the old file or the new one, never half.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Name prefix of the temporary files of [`write_atomic`].
pub const TEMP_PREFIX: &str = ".heard-tmp-";

/// Remove temporary files left in `dir` by killed writers. Each temporary file names the
/// process writing it (`.heard-tmp-<pid>-…`), so any process may call this at any time: a
/// file is removed only when its writer is gone (or, where processes cannot be looked up,
/// when it is an hour old).
pub fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let procs = Path::new("/proc/self").exists();
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(TEMP_PREFIX) else {
            continue;
        };
        if !e.path().is_file() {
            continue;
        }
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let gone = match pid {
            Some(pid) if procs => !Path::new(&format!("/proc/{pid}")).exists(),
            _ => e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600),
        };
        if gone {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Atomically replace `path` with `contents`.
pub fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let mut tmp = temporary_for(path)?;
    tmp.write_all(contents)
        .with_context(|| format!("failed to write `{}`", path.display()))?;
    replace_with(tmp, path)
}

/// Atomically replace `path` with `contents` without waiting for the disk: a reader still
/// sees the old file or the new one, never half, but after a crash the old contents (or,
/// on some file systems, an empty file) may come back. Only for a file that saves work and
/// whose reader takes anything it cannot read as "do the work again" (the watcher's
/// cursor): every search writes it, and the two syncs were a tenth of a search's time.
pub fn write_atomic_unsynced(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let mut tmp = temporary_for(path)?;
    tmp.write_all(contents)
        .with_context(|| format!("failed to write `{}`", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("failed to replace `{}`", path.display()))?;
    Ok(())
}

/// A temporary file beside `path`, with the permissions `path` has (or rw-r--r--), to be
/// written and then put in its place by [`replace_with`]: for files written a piece at a
/// time, which [`write_atomic`] would need whole in memory.
pub fn temporary_for(path: &Path) -> anyhow::Result<tempfile::NamedTempFile> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
    let tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .tempfile_in(dir)
        .with_context(|| format!("failed to create a temporary file in `{}`", dir.display()))?;
    // Keep the file's permissions; a new file gets the usual rw-r--r-- rather than the
    // temporary file's owner-only mode.
    let perms = std::fs::metadata(path).map(|m| m.permissions()).ok();
    #[cfg(unix)]
    let perms = perms.or_else(|| {
        use std::os::unix::fs::PermissionsExt;
        Some(std::fs::Permissions::from_mode(0o644))
    });
    if let Some(p) = perms {
        tmp.as_file()
            .set_permissions(p)
            .with_context(|| format!("failed to set permissions for `{}`", path.display()))?;
    }
    Ok(tmp)
}

/// Sync a temporary file from [`temporary_for`] and rename it over `path`.
pub fn replace_with(tmp: tempfile::NamedTempFile, path: &Path) -> anyhow::Result<()> {
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("failed to write `{}`", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("failed to replace `{}`", path.display()))?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    if let Ok(d) = std::fs::File::open(dir) {
        // Make the rename itself durable; not every platform allows syncing a directory.
        let _ = d.sync_all();
    }
    Ok(())
}

/// Render a path relative to `base` with `/` separators, for messages and JSON.
pub fn rel_path(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let text = rel.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        text.trim_start_matches("./").to_string()
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// Open (creating it) and exclusively lock `dir/name`, waiting for any other holder. The
/// lock is released when the returned file is dropped, or when the process dies.
pub fn lock_file(dir: &Path, name: &str) -> anyhow::Result<std::fs::File> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("failed to create `{}`", dir.display()))?;
    let path = dir.join(name);
    let f = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("failed to open `{}`", path.display()))?;
    f.lock()
        .with_context(|| format!("failed to lock `{}`", path.display()))?;
    Ok(f)
}
