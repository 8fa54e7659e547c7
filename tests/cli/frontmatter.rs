//! Front matter.
