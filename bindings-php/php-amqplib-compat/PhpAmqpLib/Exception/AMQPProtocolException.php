<?php

namespace PhpAmqpLib\Exception;

/** A close from the broker: reply code, reply text and the [class, method] it was about. */
class AMQPProtocolException extends \Exception implements AMQPExceptionInterface
{
    /** @var int */
    public $amqp_reply_code;
    /** @var string */
    public $amqp_reply_text;
    /** @var int[] [class id, method id] */
    public $amqp_method_sig;
    /** @var array */
    public $args;

    public function __construct($reply_code, $reply_text, $method_sig, ?\Throwable $previous = null)
    {
        parent::__construct($reply_text, $reply_code, $previous);
        $this->amqp_reply_code = $reply_code;
        $this->amqp_reply_text = $reply_text;
        $this->amqp_method_sig = $method_sig;
        $this->args = array($reply_code, $reply_text, $method_sig);
    }
}
