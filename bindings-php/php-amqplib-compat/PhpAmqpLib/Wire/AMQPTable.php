<?php

namespace PhpAmqpLib\Wire;

use PhpAmqpLib\Exception\AMQPInvalidArgumentException;

/** An AMQP field table (`F`), php-amqplib's API. */
class AMQPTable extends AMQPAbstractCollection
{
    final public function getType()
    {
        return self::T_TABLE;
    }

    /** Sets $key, with an explicit type (self::T_*) or the inferred one. */
    public function set($key, $val, $type = null)
    {
        $len = strlen((string) $key);
        if ($len === 0 || $len > 128) {
            throw new AMQPInvalidArgumentException('Table key must be non-empty string up to 128 chars in length');
        }
        $this->setValue($val, $type, $key);
    }
}
