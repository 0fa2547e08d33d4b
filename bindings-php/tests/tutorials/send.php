<?php
require_once __DIR__ . '/../../php-amqplib-compat/autoload.php';
require_once __DIR__ . '/env.php';

use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Message\AMQPMessage;

$connection = new AMQPStreamConnection(AMQP_HOST, AMQP_PORT, 'guest', 'guest');
$channel = $connection->channel();

$channel->queue_declare('hello' . NAME_SUFFIX, false, false, false, false);

$msg = new AMQPMessage('Hello World!');
$channel->basic_publish($msg, '', 'hello' . NAME_SUFFIX);

echo " [x] Sent 'Hello World!'\n";

$channel->close();
$connection->close();
