<?php

namespace PhpAmqpLib\Exception;

/** The broker cancelled a consumer (its queue was deleted, for instance). */
class AMQPBasicCancelException extends \Exception implements AMQPExceptionInterface
{
    /** @var string */
    public $consumerTag;

    public function __construct($consumerTag)
    {
        parent::__construct('Channel was canceled');
        $this->consumerTag = $consumerTag;
    }

    public function getConsumerTag()
    {
        return $this->consumerTag;
    }
}
