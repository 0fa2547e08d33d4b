<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;

/**
 * The 2010 talk's code style, unchanged but for the two-line alias (global AMQPConnection and
 * AMQPMessage): access_request, positional declares, basic_consume with a function name,
 * delivery_info['channel']->basic_ack, and the `while (count($ch->callbacks))` loop.
 */
final class TalkTest extends TestCase
{
    public function testBatchProcessingProducerAndWorker(): void
    {
        [$host, $port, $user, $pass, $vhost] = amqp_params();
        $exchange = unique_name('video-desc-ex');
        $queue = unique_name('video-desc-queue');

        // The producer, as the talk writes it.
        $conn = new AMQPConnection($host, $port, $user, $pass, $vhost);
        $ch = $conn->channel();
        $ch->access_request($vhost, false, false, true, true);
        $ch->exchange_declare($exchange, 'direct', false, true, false);
        $ch->queue_declare($queue, false, true, false, false);
        $ch->queue_bind($queue, $exchange);
        for ($i = 0; $i < 5; $i++) {
            $msg = new AMQPMessage("video $i", array('content_type' => 'text/plain', 'delivery_mode' => 2));
            $ch->basic_publish($msg, $exchange);
        }
        $ch->close();
        $conn->close();

        // The worker, as the talk writes it.
        $conn = new AMQPConnection($host, $port, $user, $pass, $vhost);
        $ch = $conn->channel();
        $ch->access_request($vhost, false, false, true, true);
        $ch->queue_declare($queue, false, true, false, false);
        $GLOBALS['talk_seen'] = [];
        $consumer_tag = 'worker';
        $ch->basic_consume($queue, $consumer_tag, false, false, false, false, 'talk_process_message');
        while (count($ch->callbacks)) {
            $ch->wait();
        }
        $this->assertSame(['video 0', 'video 1', 'video 2', 'video 3', 'video 4'], $GLOBALS['talk_seen']);
        $ch->queue_delete($queue);
        $ch->exchange_delete($exchange);
        $ch->close();
        $conn->close();
    }
}

function talk_process_message($msg)
{
    $GLOBALS['talk_seen'][] = $msg->body;
    $msg->delivery_info['channel']->basic_ack($msg->delivery_info['delivery_tag']);
    if (count($GLOBALS['talk_seen']) === 5) {
        $msg->delivery_info['channel']->basic_cancel($msg->delivery_info['consumer_tag']);
    }
}
