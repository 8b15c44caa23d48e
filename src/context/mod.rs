//! What every primitive of a run acts through: the run context (mode, events, the hosts and
//! connection pools, where in the procedure we are), the event types (and output lines in batches), the splitting of output into lines, the stop signal, the
//! secret mask, the confirmation gate, the host acting on this thread, and published values.
//!
//! Primitives import this folder, never `engine`. It may import the transports and clients
//! (`ssh`, `docker`, `sql`, `http`), `hosts`, `language` and `diagnostic`.

pub mod acting_host;
pub mod column_orders;
pub mod confirmation_gate;
pub mod error_groups;
pub mod event;
pub mod host_list;
pub mod line_splitter;
pub mod ordered_json;
pub mod published;
pub mod run_context;
pub mod secret_mask;
pub mod stop_signal;
pub mod unknown_value;
