<?php

namespace Warren\Compat;

use PhpAmqpLib\Wire\AMQPAbstractCollection;
use PhpAmqpLib\Wire\AMQPArray;
use PhpAmqpLib\Wire\AMQPTable;

/**
 * php-amqplib reads a plain array given as method arguments or as `application_headers` as
 * `name => [type letter, value]` pairs (`['x-max-length' => ['I', 10]]`); an AMQPTable keeps
 * its own types. This turns both into what the extension takes.
 *
 * @internal
 */
final class Tables
{
    /** @return AMQPTable|null */
    public static function fromArgument($value)
    {
        if ($value === null || $value === [] || $value instanceof AMQPTable) {
            return $value ?: null;
        }
        if (!is_array($value)) {
            throw new \PhpAmqpLib\Exception\AMQPInvalidArgumentException('a table must be an array or an AMQPTable');
        }
        $table = new AMQPTable();
        foreach ($value as $key => $pair) {
            if (!is_array($pair) || !array_key_exists(0, $pair) || !array_key_exists(1, $pair)) {
                throw new \PhpAmqpLib\Exception\AMQPInvalidArgumentException(sprintf(
                    'table entry "%s" must be a [type, value] pair or the table an AMQPTable', $key));
            }
            [$symbol, $v] = $pair;
            $type = AMQPAbstractCollection::getDataTypeForSymbol($symbol);
            if ($type === AMQPAbstractCollection::T_TABLE && is_array($v)) {
                $v = self::fromArgument($v) ?? new AMQPTable();
            } elseif ($type === AMQPAbstractCollection::T_ARRAY && is_array($v)) {
                $v = new AMQPArray($v);
            }
            $table->set((string) $key, $v, $type);
        }
        return $table;
    }
}
