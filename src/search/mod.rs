//! The account search, the agent's front door: keys computed at write time ([`keys`]), the
//! in-memory index that matches and ranks them ([`index`]) and its copy on disk
//! ([`snapshot`]).

pub mod fuzzy;
pub mod index;
pub mod kb;
pub mod keys;
pub mod snapshot;
mod text;

pub use index::{Hit, SearchIndex};
