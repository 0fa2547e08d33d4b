<?php
require_once __DIR__ . '/../../php-amqplib-compat/autoload.php';
require_once __DIR__ . '/env.php';

use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Message\AMQPMessage;

$connection = new AMQPStreamConnection(AMQP_HOST, AMQP_PORT, 'guest', 'guest');
$channel = $connection->channel();

$channel->queue_declare('task_queue' . NAME_SUFFIX, false, true, false, false);

$data = implode(' ', array_slice($argv, 1));
if (empty($data)) {
    $data = "Hello World!";
}
$msg = new AMQPMessage(
    $data,
    array('delivery_mode' => AMQPMessage::DELIVERY_MODE_PERSISTENT)
);

$channel->basic_publish($msg, '', 'task_queue' . NAME_SUFFIX);

echo ' [x] Sent ', $data, "\n";

$channel->close();
$connection->close();
