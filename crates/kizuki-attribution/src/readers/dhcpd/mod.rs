//! ISC dhcpd.leases.

mod block;
mod lexer;
mod parse;
mod reader;

pub use reader::read;
