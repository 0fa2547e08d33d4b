<?php

namespace PhpAmqpLib\Wire;

/** An AMQP field array (`A`), php-amqplib's API. */
class AMQPArray extends AMQPAbstractCollection
{
    public function __construct(?array $data = null)
    {
        parent::__construct(empty($data) ? null : array_values($data));
    }

    final public function getType()
    {
        return self::T_ARRAY;
    }

    /** Appends a value, with an explicit type (self::T_*) or the inferred one. */
    public function push($val, $type = null)
    {
        $this->setValue($val, $type);
        return $this;
    }
}
