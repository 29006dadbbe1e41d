//! Formats in and out of rapport: readers and writers, kept apart from the loaders in `ops`
//! that write what they read through the store.

pub mod dump;
