//! HTTP requests for health checks and smoke tests (reqwest, rustls with ring), waits that
//! poll until a condition holds, and a WebSocket upgrade check.

pub mod pinned;
pub mod request;
pub mod websocket;
