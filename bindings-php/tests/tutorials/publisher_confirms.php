<?php
// Publisher confirms three ways (one at a time, in batches, with handlers and one wait at the
// end), then a mandatory publish that no queue takes: the return listener sees it, then the
// ack handler (RabbitMQ acks a returned message once it is returned).
require_once __DIR__ . '/../../php-amqplib-compat/autoload.php';
require_once __DIR__ . '/env.php';

use PhpAmqpLib\Connection\AMQPStreamConnection;
use PhpAmqpLib\Exchange\AMQPExchangeType;
use PhpAmqpLib\Message\AMQPMessage;

const MESSAGE_COUNT = 500;

function connect()
{
    return new AMQPStreamConnection(AMQP_HOST, AMQP_PORT, 'guest', 'guest');
}

function publishMessagesIndividually()
{
    $connection = connect();
    $channel = $connection->channel();
    list($queue, ,) = $channel->queue_declare('', false, false, true, false);
    $channel->confirm_select();

    $start = microtime(true);
    for ($i = 0; $i < MESSAGE_COUNT; $i++) {
        $channel->basic_publish(new AMQPMessage((string) $i), '', $queue);
        $channel->wait_for_pending_acks(5.000);
    }
    list(, $count,) = $channel->queue_declare($queue, true);
    printf("Published %d messages individually in %d ms; %d in the queue\n", MESSAGE_COUNT, (microtime(true) - $start) * 1000, $count);
    $channel->close();
    $connection->close();
}

function publishMessagesInBatch()
{
    $connection = connect();
    $channel = $connection->channel();
    list($queue, ,) = $channel->queue_declare('', false, false, true, false);
    $channel->confirm_select();

    $batchSize = 100;
    $outstandingMessageCount = 0;
    $start = microtime(true);
    for ($i = 0; $i < MESSAGE_COUNT; $i++) {
        $channel->basic_publish(new AMQPMessage((string) $i), '', $queue);
        $outstandingMessageCount++;
        if ($outstandingMessageCount === $batchSize) {
            $channel->wait_for_pending_acks(5.000);
            $outstandingMessageCount = 0;
        }
    }
    if ($outstandingMessageCount > 0) {
        $channel->wait_for_pending_acks(5.000);
    }
    list(, $count,) = $channel->queue_declare($queue, true);
    printf("Published %d messages in batch in %d ms; %d in the queue\n", MESSAGE_COUNT, (microtime(true) - $start) * 1000, $count);
    $channel->close();
    $connection->close();
}

function handlePublishConfirmsAsynchronously()
{
    $connection = connect();
    $channel = $connection->channel();
    list($queue, ,) = $channel->queue_declare('', false, false, true, false);
    $channel->confirm_select();

    $acked = 0;
    $nacked = 0;
    $seen = array();
    $channel->set_ack_handler(function (AMQPMessage $message) use (&$acked, &$seen) {
        $acked++;
        $seen[] = (int) $message->body;
    });
    $channel->set_nack_handler(function (AMQPMessage $message) use (&$nacked) {
        $nacked++;
    });

    $start = microtime(true);
    for ($i = 0; $i < MESSAGE_COUNT; $i++) {
        $channel->basic_publish(new AMQPMessage((string) $i), '', $queue);
    }
    $channel->wait_for_pending_acks(5.000);
    sort($seen);
    printf("Published %d messages and handled confirms asynchronously in %d ms; acked %d, nacked %d, every message once: %s\n",
        MESSAGE_COUNT, (microtime(true) - $start) * 1000, $acked, $nacked,
        $seen === range(0, MESSAGE_COUNT - 1) ? 'yes' : 'no');
    $channel->close();
    $connection->close();
}

function publishMandatoryUnroutable()
{
    $connection = connect();
    $channel = $connection->channel();
    $exchange = 'confirms_mandatory' . NAME_SUFFIX;

    $channel->set_ack_handler(function (AMQPMessage $message) {
        echo "Message acked with content " . $message->body . PHP_EOL;
    });
    $channel->set_nack_handler(function (AMQPMessage $message) {
        echo "Message nacked with content " . $message->body . PHP_EOL;
    });
    $channel->set_return_listener(function ($replyCode, $replyText, $exchange, $routingKey, AMQPMessage $message) {
        echo "Message returned with content " . $message->body . " ($replyCode $replyText)" . PHP_EOL;
    });
    $channel->confirm_select();
    $channel->exchange_declare($exchange, AMQPExchangeType::FANOUT, false, false, true);

    $message = new AMQPMessage('unroutable', array('content_type' => 'text/plain'));
    $channel->basic_publish($message, $exchange, null, true);
    $channel->wait_for_pending_acks_returns();

    $channel->exchange_delete($exchange);
    $channel->close();
    $connection->close();
}

publishMessagesIndividually();
publishMessagesInBatch();
handlePublishConfirmsAsynchronously();
publishMandatoryUnroutable();
