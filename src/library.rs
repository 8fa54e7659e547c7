//! Where a library lives on disk, and its settings in `heard.toml`.
//!
//! Plain files are the truth: `heard.toml`, the Markdown under `corpus/` and the responses
//! under `responses/`. Everything in `.heard/` is derived and can be deleted at any time.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::corpus::Sensitivity;

/// The name of the settings file that marks a library's root.
pub const CONFIG_FILE: &str = "heard.toml";

/// Library settings, read from `heard.toml`. Every field has a default, so an empty file is
/// a valid library.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// A name for the library, shown in drafts and the web app.
    pub name: String,
    /// The organisation that keeps the library; the default author of its responses.
    pub organisation: String,
    /// Folder of sources, relative to the library root. `"."` indexes Markdown anywhere
    /// under the root (useful for an existing folder of notes), skipping hidden folders and
    /// `responses/`.
    pub corpus: String,
    /// Folder of consultation responses, relative to the library root.
    pub responses: String,
    /// Sensitivity of a source whose front matter does not say.
    pub default_sensitivity: Sensitivity,
    /// Sources larger than this many bytes are reported and skipped.
    pub max_source_bytes: u64,
    /// How commands other than `heard index` notice edited sources before they search:
    /// `files` looks at every file (always fresh; about 1 s per 100,000 files), `folders`
    /// looks only in folders whose contents changed (fast on very large libraries, but a
    /// file rewritten in place is noticed only by the next `heard index`).
    pub refresh: Refresh,
}

/// How a refresh notices changed sources.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Refresh {
    /// Check the size and time of every file.
    #[default]
    Files,
    /// Check folders, and the files of folders that changed.
    Folders,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            name: String::new(),
            organisation: String::new(),
            corpus: "corpus".into(),
            responses: "responses".into(),
            default_sensitivity: Sensitivity::Internal,
            max_source_bytes: 10 * 1024 * 1024,
            refresh: Refresh::Files,
        }
    }
}

impl Config {
    /// Parse `heard.toml` text; errors name the line and the field.
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<Config> {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            let msg = e.message().to_string();
            match line {
                Some(line) => anyhow::anyhow!("{}:{line}: {msg}", path.display()),
                None => anyhow::anyhow!("{}: {msg}", path.display()),
            }
        })
    }
}

impl Config {
    /// `corpus` and `responses` must name folders inside the library.
    fn check_folders(&self, config_path: &Path) -> anyhow::Result<()> {
        for (name, value) in [("corpus", &self.corpus), ("responses", &self.responses)] {
            if Path::new(value).is_absolute() || value.split(['/', '\\']).any(|c| c == "..") {
                bail!(
                    "{}: `{name} = \"{value}\"` must be a folder inside the library, such as \"{name}\"",
                    config_path.display()
                );
            }
        }
        Ok(())
    }
}

/// An open library: its root folder and settings.
#[derive(Debug, Clone)]
pub struct Library {
    root: PathBuf,
    /// Settings from `heard.toml`.
    pub config: Config,
}

impl Library {
    /// Open the library whose `heard.toml` is in `root`.
    pub fn open(root: &Path) -> anyhow::Result<Library> {
        let config_path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&config_path).with_context(|| {
            format!(
                "failed to read `{}`; is `{}` a heard library? (run `heard init {}` to make one)",
                config_path.display(),
                root.display(),
                root.display()
            )
        })?;
        let config = Config::parse(&text, &config_path)?;
        config.check_folders(&config_path)?;
        let root = root
            .canonicalize()
            .with_context(|| format!("failed to resolve `{}`", root.display()))?;
        Ok(Library { root, config })
    }

    /// Find the library: `explicit` if given, else the nearest folder upwards from the
    /// current directory that holds a `heard.toml`.
    pub fn discover(explicit: Option<&Path>) -> anyhow::Result<Library> {
        if let Some(dir) = explicit {
            return Library::open(dir);
        }
        let cwd = std::env::current_dir().context("failed to read the current directory")?;
        for dir in cwd.ancestors() {
            if dir.join(CONFIG_FILE).is_file() {
                return Library::open(dir);
            }
        }
        bail!(
            "no {CONFIG_FILE} in `{}` or any folder above it; run `heard init` to make a library here, or pass `-C DIR`",
            cwd.display()
        )
    }

    /// The library's root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of sources.
    pub fn corpus_dir(&self) -> PathBuf {
        self.root.join(&self.config.corpus)
    }

    /// The folder of responses.
    pub fn responses_dir(&self) -> PathBuf {
        self.root.join(&self.config.responses)
    }

    /// The folder of derived data (index, caches); always safe to delete.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(".heard")
    }

    /// A path relative to the library root, for messages and JSON.
    pub fn rel(&self, path: &Path) -> String {
        crate::fsutil::rel_path(&self.root, path)
    }
}

/// What `init` did, for the command to report.
#[derive(Debug, Default)]
pub struct InitReport {
    /// Files and folders created.
    pub created: Vec<String>,
    /// Files and folders that were already there and were left alone.
    pub kept: Vec<String>,
    /// Markdown files found outside `corpus/` when the folder was not yet a library.
    pub existing_markdown: usize,
}

/// Make `dir` a library, adding only what is missing. Nothing is overwritten or moved.
pub fn init(dir: &Path) -> anyhow::Result<InitReport> {
    let mut report = InitReport::default();
    let config_path = dir.join(CONFIG_FILE);
    // Check everything before touching anything: an existing heard.toml must be valid, and
    // the folders it names (or the defaults) must be folders, not files.
    let existing = if config_path.exists() {
        let text = std::fs::read_to_string(&config_path).with_context(|| {
            format!(
                "failed to read `{}`; fix or remove it, then run `heard init` again",
                config_path.display()
            )
        })?;
        let fix = |e: anyhow::Error| {
            anyhow::anyhow!(
                "{e:#}; fix it (or remove heard.toml to start again), then run `heard init` again"
            )
        };
        let config = Config::parse(&text, &config_path).map_err(fix)?;
        config.check_folders(&config_path).map_err(fix)?;
        Some(config)
    } else {
        None
    };
    let corpus_exists = dir.join("corpus").is_dir();
    if existing.is_none() && !corpus_exists {
        // An existing folder of notes (a shared drive, an Obsidian vault) stays where it is:
        // the library indexes it in place rather than asking anyone to move files.
        report.existing_markdown = count_markdown(dir);
    }
    let corpus = match &existing {
        Some(c) => c.corpus.clone(),
        None if report.existing_markdown > 0 => ".".into(),
        None => "corpus".into(),
    };
    let responses = existing
        .as_ref()
        .map_or_else(|| "responses".to_string(), |c| c.responses.clone());
    for (name, folder) in [("corpus", &corpus), ("responses", &responses)] {
        let path = dir.join(folder);
        if folder != "." && !folder.is_empty() && path.exists() && !path.is_dir() {
            bail!(
                "`{folder}` in `{}` is a file, not a folder, so it cannot hold the library's {name}; rename or move the file (or choose another folder with `{name} = \"…\"` in heard.toml), then run `heard init` again",
                dir.display()
            );
        }
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("failed to create `{}`", dir.display()))?;
    if existing.is_some() {
        report.kept.push(CONFIG_FILE.into());
    } else {
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "evidence library".into());
        let text = format!(
            "# heard library settings. Schema: schema/heard.toml.schema.json\n\
             name = {name:?}\n\
             organisation = \"\"\n\
             # Folder of Markdown sources (\".\" = everywhere under this folder).\n\
             corpus = {corpus:?}\n\
             responses = \"responses\"\n\
             # Sensitivity of sources whose front matter does not say: public, internal or restricted.\n\
             default_sensitivity = \"internal\"\n\
             # How searches notice edited files: \"files\" (every file, always fresh) or \"folders\"\n\
             # (much faster on very large libraries; files rewritten in place wait for `heard index`).\n\
             refresh = \"files\"\n"
        );
        write_new(&config_path, text.as_bytes())?;
        report.created.push(CONFIG_FILE.into());
    }
    let settings = std::fs::read_to_string(&config_path)
        .ok()
        .and_then(|t| Config::parse(&t, &config_path).ok())
        .unwrap_or_default();
    for folder in [settings.corpus.as_str(), settings.responses.as_str()] {
        if folder == "." || folder.is_empty() {
            continue;
        }
        let path = dir.join(folder);
        if path.exists() {
            report.kept.push(format!("{folder}/"));
        } else {
            std::fs::create_dir_all(&path)
                .with_context(|| format!("failed to create `{}`", path.display()))?;
            report.created.push(format!("{folder}/"));
        }
    }
    // Ignore the derived index, and the half-written files of a heard process that was
    // killed mid-write; add to an existing .gitignore only what it lacks.
    let gitignore = dir.join(".gitignore");
    let wanted = [
        (
            ".heard/",
            &[".heard", ".heard/", "/.heard", "/.heard/"][..],
            "# heard's derived index; rebuilt from the files at any time",
        ),
        (
            ".heard-tmp-*",
            &[".heard-tmp-*"][..],
            "# half-written files of a heard process that was killed",
        ),
    ];
    let existing = match std::fs::read_to_string(&gitignore) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(e).with_context(|| format!("failed to read `{}`", gitignore.display()));
        }
    };
    let text = existing.clone().unwrap_or_default();
    let mut add = String::new();
    for (line, forms, comment) in wanted {
        if !text.lines().any(|l| forms.contains(&l.trim())) {
            add.push_str(&format!("{comment}\n{line}\n"));
        }
    }
    match (&existing, add.is_empty()) {
        (Some(_), true) => report.kept.push(".gitignore".into()),
        (Some(old), false) => {
            let mut new = old.clone();
            if !new.is_empty() && !new.ends_with('\n') {
                new.push('\n');
            }
            new.push_str(&add);
            crate::fsutil::write_atomic(&gitignore, new.as_bytes())?;
            report
                .created
                .push(".gitignore (added heard's lines)".into());
        }
        (None, _) => {
            write_new(&gitignore, add.as_bytes())?;
            report.created.push(".gitignore".into());
        }
    }
    // Two colleagues' ledgers merge as the union of their lines: event ids never collide,
    // and `heard verify` accepts the merged history.
    let attributes = dir.join(".gitattributes");
    let corpus = settings.corpus.trim_matches('/');
    let rule = if corpus == "." || corpus.is_empty() {
        "/ledger.jsonl merge=union".to_string()
    } else {
        format!("{corpus}/ledger.jsonl merge=union")
    };
    match std::fs::read_to_string(&attributes) {
        Ok(text) if text.lines().any(|l| l.trim() == rule) => {
            report.kept.push(".gitattributes".into())
        }
        Ok(text) => {
            let mut new = text.clone();
            if !new.is_empty() && !new.ends_with('\n') {
                new.push('\n');
            }
            new.push_str(&format!("{rule}\n"));
            crate::fsutil::write_atomic(&attributes, new.as_bytes())?;
            report
                .created
                .push(".gitattributes (added merge=union for the ledger)".into());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            write_new(&attributes, format!("{rule}\n").as_bytes())?;
            report.created.push(".gitattributes".into());
        }
        Err(e) => {
            return Err(e).with_context(|| format!("failed to read `{}`", attributes.display()));
        }
    }
    Ok(report)
}

/// Create a file that must not exist yet; never replaces one that appeared meanwhile.
fn write_new(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("failed to create `{}`", path.display()))?;
    f.write_all(contents)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("failed to write `{}`", path.display()))
}

fn count_markdown(dir: &Path) -> usize {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .count()
}
