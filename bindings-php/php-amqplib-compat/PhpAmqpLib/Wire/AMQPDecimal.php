<?php

namespace PhpAmqpLib\Wire;

use PhpAmqpLib\Exception\AMQPOutOfBoundsException;

/** An AMQP decimal (`D`): the value $n / 10^$e. */
class AMQPDecimal
{
    protected $n;
    protected $e;

    public function __construct($n, $e)
    {
        if ($e < 0) {
            throw new AMQPOutOfBoundsException('Decimal exponent value must be unsigned!');
        }
        $this->n = $n;
        $this->e = $e;
    }

    /** The value as a decimal string, truncated to an integer as php-amqplib does. */
    public function asBCvalue()
    {
        return (string) intdiv((int) $this->n, 10 ** (int) $this->e);
    }

    public function getE()
    {
        return $this->e;
    }

    public function getN()
    {
        return $this->n;
    }
}
