<?php

namespace PhpAmqpLib\Exception;

/** Implemented by every exception the php-amqplib compatibility layer throws. */
interface AMQPExceptionInterface extends \Throwable
{
}
