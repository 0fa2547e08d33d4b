<?php
// Shared by the tutorial programs: where the broker is, and the suffix that keeps the names of
// one test run apart from every other run on the same broker (see README.md).
define('AMQP_HOST', getenv('AMQP_HOST') ?: 'localhost');
define('AMQP_PORT', (int) (getenv('AMQP_PORT') ?: 5672));
define('NAME_SUFFIX', getenv('TUTORIAL_SUFFIX') ?: '');
