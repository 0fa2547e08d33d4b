<?php
// The 2010 talk's producer: php-amqplib's old global class names, through the two-line alias.
require_once __DIR__ . '/../../php-amqplib-compat/autoload.php';
require_once __DIR__ . '/../../php-amqplib-compat/aliases-2010.php';
require_once __DIR__ . '/env.php';

$exchange = 'video-desc-ex' . NAME_SUFFIX;
$queue = 'video-desc-queue' . NAME_SUFFIX;

$conn = new AMQPConnection(AMQP_HOST, AMQP_PORT, 'guest', 'guest');
$ch = $conn->channel();
$ch->access_request('/', false, false, true, true);

$ch->exchange_declare($exchange, 'direct', false, true, false);
$ch->queue_declare($queue, false, true, false, false);
$ch->queue_bind($queue, $exchange);

foreach (array_slice($argv, 1) as $msg_body) {
    $msg = new AMQPMessage($msg_body, array('content_type' => 'text/plain', 'delivery_mode' => 2));
    $ch->basic_publish($msg, $exchange);
    echo "sent $msg_body\n";
}

$ch->close();
$conn->close();
