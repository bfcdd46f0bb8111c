//! A seeded generator of enterprise flow logs with known ground truth: an
//! inside network behind a few public NAT addresses, hosts of which some
//! are infected and contact C2 servers during their validity, and
//! background traffic that must not match (to the same C2 addresses
//! outside their validity, and on other ports).

mod stream;
mod world;
mod write;

pub use stream::{Contact, FlowStream};
pub use world::{SynthConfig, World};
pub use write::{
    write_feodo_csv, write_inventory_csv, write_nfdump16, write_nfdump17, write_zeek_tsv,
};
