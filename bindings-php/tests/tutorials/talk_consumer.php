<?php
// The 2010 talk's worker: a function name as callback, the delivery info array, a shutdown
// function, and the `while (count($ch->callbacks))` loop. A message "quit" stops it.
require_once __DIR__ . '/../../php-amqplib-compat/autoload.php';
require_once __DIR__ . '/../../php-amqplib-compat/aliases-2010.php';
require_once __DIR__ . '/env.php';

$exchange = 'video-desc-ex' . NAME_SUFFIX;
$queue = 'video-desc-queue' . NAME_SUFFIX;
$consumer_tag = 'consumer';

$conn = new AMQPConnection(AMQP_HOST, AMQP_PORT, 'guest', 'guest');
$ch = $conn->channel();
$ch->access_request('/', false, false, true, true);

$ch->queue_declare($queue, false, true, false, false);
$ch->exchange_declare($exchange, 'direct', false, true, false);
$ch->queue_bind($queue, $exchange);

function process_message($msg)
{
    echo "processing " . $msg->body . " (" . $msg->get('content_type') . ")\n";
    $msg->delivery_info['channel']->basic_ack($msg->delivery_info['delivery_tag']);

    // Send a message with the string "quit" to cancel the consumer.
    if ($msg->body === 'quit') {
        $msg->delivery_info['channel']->basic_cancel($msg->delivery_info['consumer_tag']);
    }
}

$ch->basic_consume($queue, $consumer_tag, false, false, false, false, 'process_message');

function shutdown($ch, $conn)
{
    $ch->close();
    $conn->close();
    echo "closed\n";
}
register_shutdown_function('shutdown', $ch, $conn);

echo "waiting\n";
// Loop as long as the channel has callbacks registered.
while (count($ch->callbacks)) {
    $ch->wait();
}
