<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use Warren\Connection;
use Warren\Message;

/** `Warren\Message::deliveryInfo()`: the getters' values in one array, keyed as php-amqplib's delivery_info. */
final class DeliveryInfoTest extends TestCase
{
    public function testGetAndConsumeGiveTheirDeliveryInfo(): void
    {
        $conn = new Connection(warren_uri());
        $ch = $conn->channel();
        $q = $ch->queueDeclare('', exclusive: true)['name'];
        $ch->basicPublish('', $q, 'one');
        $ch->basicPublish('', $q, 'two');
        $got = null;
        for ($i = 0; $got === null && $i < 200; $i++) {
            $got = $ch->basicGet($q) ?? (usleep(10000) ?: null);
        }
        $this->assertNotNull($got);
        $this->assertSame(['delivery_tag' => $got->deliveryTag, 'redelivered' => false, 'exchange' => '',
            'routing_key' => $q, 'message_count' => 1], $got->deliveryInfo());
        $got->ack();

        $seen = null;
        $tag = $ch->basicConsume($q, function (Message $m) use (&$seen) {
            $seen = $m->deliveryInfo();
            $this->assertSame($m->consumerTag, $seen['consumer_tag']);
            $this->assertSame($m->deliveryTag, $seen['delivery_tag']);
            $m->ack();
        });
        $ch->wait(10.0);
        $this->assertSame(['consumer_tag', 'delivery_tag', 'redelivered', 'exchange', 'routing_key'], array_keys($seen));
        $this->assertSame($tag, $seen['consumer_tag']);
        $this->assertSame($q, $seen['routing_key']);
        $conn->close();
    }
}
