//! The account search, the agent's front door: keys computed at write time ([`keys`]) and the
//! in-memory index that matches and ranks them ([`index`]).

pub mod index;
pub mod kb;
pub mod keys;

pub use index::{Hit, SearchIndex};
