//! HTTP requests for health checks and smoke tests (reqwest, rustls with ring), from this
//! machine or from a host through its SSH connection, and a WebSocket upgrade check.

pub mod dispatch;
pub mod pinned;
pub mod request;
pub mod through_host;
pub mod websocket;
