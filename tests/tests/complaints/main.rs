//! The complaints service end to end, in one test binary: its services against the real
//! customers and orders services, on one throwaway PostgreSQL cluster with a database per test.
//!
//! Filing (`filing`), the process from RECEIVED to CLOSED with its audit trail (`process`),
//! claims (`claims`), queues (`lists`), and the business calendar, the SLA policy and the sweep
//! that warns and escalates by itself (`sla`).

mod claims;
mod end_to_end;
mod filing;
mod lists;
mod proactive;
mod process;
mod sla;
