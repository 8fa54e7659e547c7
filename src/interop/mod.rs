//! Interoperability: the library going out to, and coming in from, other tools' formats
//! that are not single documents.
//!
//! - [`qdpx`]: REFI-QDA projects (`.qdpx`), the exchange format of NVivo, ATLAS.ti,
//!   MAXQDA and QualCoder.

pub mod qdpx;
