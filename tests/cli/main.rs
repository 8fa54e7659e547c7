//! Integration tests of the `heard` command line: each test makes a fresh library in a
//! temporary folder, fills its corpus from `tests/fixtures/<case>/` or from text written in
//! the test, and runs the real binary against it.

mod bad_input;
mod demo;
mod index;
mod library;
mod passages;
mod recs;
mod search;
mod sources;
mod util;
