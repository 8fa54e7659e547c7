//! Moving evidence between heard and other tools: spreadsheets out.

pub mod sheets;
