//! End-to-end tests against a real broker. The broker URI comes from `WARREN_TEST_URI`
//! (default `amqp://guest:guest@127.0.0.1:5672/%2f`); the same tests run against RabbitMQ and
//! against Warren's reference broker.

mod support;

mod basics;
