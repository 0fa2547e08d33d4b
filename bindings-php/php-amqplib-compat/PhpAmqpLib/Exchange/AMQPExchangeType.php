<?php

namespace PhpAmqpLib\Exchange;

/** Exchange type names. */
final class AMQPExchangeType
{
    const DIRECT = 'direct';
    const FANOUT = 'fanout';
    const TOPIC = 'topic';
    const HEADERS = 'headers';
}
