//! End-to-end tests of the fake over real HTTP (one test binary, one module per area).

mod admin;
mod azure;
mod common;
mod edits;
mod faults;
mod generations;
mod responses;
mod streaming;
mod validation;
