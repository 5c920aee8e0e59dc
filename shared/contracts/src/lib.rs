//! The suite's protobuf contracts as Rust: messages, tonic clients and servers, and the encoded
//! descriptor set for gRPC reflection. Generated at build time from `proto/`; edit the protos, not this.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

/// Packages under `logistics.*`.
pub mod logistics {
    /// Types every service shares.
    pub mod common {
        /// `logistics.common.v1`.
        pub mod v1 {
            tonic::include_proto!("logistics.common.v1");
        }
    }

    /// The customers service.
    pub mod customers {
        /// `logistics.customers.v1`.
        pub mod v1 {
            tonic::include_proto!("logistics.customers.v1");
        }
    }

    /// The orders and tracking service.
    pub mod orders {
        /// `logistics.orders.v1`.
        pub mod v1 {
            tonic::include_proto!("logistics.orders.v1");
        }
    }

    /// The complaints and after-sales service.
    pub mod complaints {
        /// `logistics.complaints.v1`.
        pub mod v1 {
            tonic::include_proto!("logistics.complaints.v1");
        }
    }

    /// The reporting service.
    pub mod reporting {
        /// `logistics.reporting.v1`.
        pub mod v1 {
            tonic::include_proto!("logistics.reporting.v1");
        }
    }
}

pub mod feeds;

pub use logistics::common::v1 as common;
pub use logistics::complaints::v1 as complaints;
pub use logistics::customers::v1 as customers;
pub use logistics::orders::v1 as orders;
pub use logistics::reporting::v1 as reporting;

/// Encoded `FileDescriptorSet` of every contract, with source comments, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/logistics_descriptor.bin"));
