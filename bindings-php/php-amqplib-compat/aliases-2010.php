<?php
// The two lines that let 2010-era php-amqplib code (global `AMQPConnection` and `AMQPMessage`,
// as in the "Scaling Web Apps With RabbitMQ" talk) run on the compatibility layer.
class_alias(PhpAmqpLib\Connection\AMQPStreamConnection::class, 'AMQPConnection');
class_alias(PhpAmqpLib\Message\AMQPMessage::class, 'AMQPMessage');
