//! Interoperability: the library going out to, and coming in from, other tools' formats
//! that are not single documents.
//!
//! - [`qdpx`]: REFI-QDA projects (`.qdpx`), the exchange format of NVivo, ATLAS.ti,
//!   MAXQDA and QualCoder.
//! - [`sheets`]: spreadsheets (CSV and XLSX) of the consent register and the
//!   recommendations.

pub mod qdpx;
pub mod sheets;
