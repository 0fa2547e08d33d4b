//! End-to-end tests against a real broker. The broker URI comes from `WARREN_TEST_URI`
//! (default `amqp://guest:guest@127.0.0.1:5672/%2f`); the same tests run against RabbitMQ and
//! against Warren's reference broker, so they assert only what the AMQP 0-9-1 spec and
//! RabbitMQ's documented behaviour define.

mod support;

mod basics;
mod confirms;
mod consuming;
mod content;
mod errors;
mod exchanges;
mod heartbeats;
mod publishing;
mod queues;
mod transactions;
