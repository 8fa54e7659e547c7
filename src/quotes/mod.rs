//! Quotes: excerpts of a source, anchored in its text, with tags, a speaker and consent.
//!
//! The ledger is the truth: a quote's state is the fold of its events ([`QuoteBook::load`]).
//! `corpus/quotes/<source>.toml` files are written from that state after every change, so
//! people can read and review quotes in git; a status edited there by hand is reported by
//! `heard verify` and never trusted.
//!
//! Where things are:
//! - `model.rs`: the consent model ([`Scope`], [`Status`], [`Quote`], [`today`]);
//! - `book.rs`: the book folded from the ledger ([`QuoteBook`]) and the damage it finds;
//! - `files.rs`: quote files ([`QuoteFile`], [`write_quote_file`], [`read_quote_files`]);
//! - `sources.rs`: sources loaded on demand for anchoring ([`Sources`], [`Located`]);
//! - `anchor.rs`: finding quoted words in a source's text again after it changes;
//! - `commands.rs`: what writes ledger events ([`add`], [`set_speaker`], [`tag`],
//!   [`decide`], [`acknowledge`]) under the write lock ([`lock_and_load`]);
//! - `verify.rs`: [`verify`], and bringing quote files back in line with the ledger.

pub mod anchor;
mod book;
mod commands;
mod files;
mod model;
mod sources;
mod verify;

pub use anchor::{Anchor, AnchorState, Resolved};
pub use book::QuoteBook;
pub use commands::{
    Added, Consent, Decision, InputError, NewQuote, acknowledge, add, decide, default_actor,
    lock_and_load, responses_using, set_speaker, tag,
};
pub use files::{
    QuoteFile, QuoteRecord, quote_file_path, quotes_dir, read_quote_files, write_quote_file,
};
pub use model::{HistoryItem, Quote, Scope, Status, today};
pub use sources::{Located, Sources, locate_in, sources_read};
pub use verify::verify;
