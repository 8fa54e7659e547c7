//! This process's memory, from `/proc/self/status`, for the examples that measure it.

/// Fields of `/proc/self/status` given in kB (e.g. `"RssAnon:"`), in MB, read at one
/// moment; NaN where the file or a field is missing.
pub fn status_mb<const N: usize>(names: [&str; N]) -> [f64; N] {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    names.map(|name| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    })
}
