//! Containers and images through the Docker Engine API (bollard): on this machine (honouring
//! `DOCKER_HOST`) or on a host's engine reached through its SSH master connection, with the
//! remote socket forwarded (no docker CLI, no TCP port on the remote side).

pub mod compose_service;
pub mod containers;
pub mod engines;
pub mod failure;
pub mod images;
