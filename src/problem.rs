//! A problem with one file of the library: what is wrong, where, and how to fix it.
//!
//! Problems are collected, never thrown: one bad file must not stop the rest of the library
//! from loading. Commands print them one per line as `path:line: message` and set the exit
//! code at the end.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One thing wrong with one file, with the line where there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Path relative to the library root, with `/` separators.
    pub path: String,
    /// 1-based line in the file, when the problem has a place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// What is wrong, and the fix where there is one.
    pub message: String,
}

impl Problem {
    /// A problem with the file as a whole.
    pub fn file(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            line: None,
            message: message.into(),
        }
    }

    /// A problem at a line of the file.
    pub fn at(path: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            line: Some(line),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path, line, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}
