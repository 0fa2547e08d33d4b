<?php
require_once __DIR__ . '/../../php-amqplib-compat/autoload.php';
require_once __DIR__ . '/env.php';

use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Message\AMQPMessage;

$connection = new AMQPStreamConnection(AMQP_HOST, AMQP_PORT, 'guest', 'guest');
$channel = $connection->channel();

$channel->exchange_declare('logs' . NAME_SUFFIX, 'fanout', false, false, false);

$data = implode(' ', array_slice($argv, 1));
if (empty($data)) {
    $data = "info: Hello World!";
}
$msg = new AMQPMessage($data);

$channel->basic_publish($msg, 'logs' . NAME_SUFFIX);

echo ' [x] Sent ', $data, "\n";

$channel->close();
$connection->close();
