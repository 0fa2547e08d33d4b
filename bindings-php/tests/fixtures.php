<?php
/**
 * Values both sides of the interop tests build: the native suite (with php-amqplib's Wire
 * classes loaded from Debian's package) and the php-amqplib peer processes.
 */

declare(strict_types=1);

use PhpAmqpLib\Wire\AMQPArray;
use PhpAmqpLib\Wire\AMQPDecimal;
use PhpAmqpLib\Wire\AMQPTable;

/** Headers with every PHP type php-amqplib infers a field type for. */
function header_fixture(): array
{
    return [
        'string' => 'hello',
        'binary' => "\x00\xff\x01bytes",
        'empty' => '',
        'int_small' => 42,
        'int_negative' => -7,
        'int_32_max' => 2147483647,
        'int_big' => 2147483648,
        'int_min' => PHP_INT_MIN,
        'float' => 1.5,
        'float_third' => 1 / 3,
        'true' => true,
        'false' => false,
        'null' => null,
        'when' => new DateTime('@1700000000'),
        'decimal' => new AMQPDecimal(12345, 2),
        'list' => [1, 'two', false],
        'empty_list' => [],
        'table' => ['a' => 1, 'nested' => ['b' => 'c', 'deeper' => ['x' => [1, 2]]]],
        'sparse' => [1 => 'x', 3 => 'y'],
    ];
}

/** A table with explicit php-amqplib types (its T_* constants). */
function typed_fixture(bool $floats = true): AMQPTable
{
    $t = new AMQPTable();
    $t->set('b', -5, AMQPTable::T_INT_SHORTSHORT);
    $t->set('B', 250, AMQPTable::T_INT_SHORTSHORT_U);
    $t->set('s', -3000, AMQPTable::T_INT_SHORT);
    $t->set('u', 60000, AMQPTable::T_INT_SHORT_U);
    $t->set('I', -100000, AMQPTable::T_INT_LONG);
    $t->set('i', 4000000000, AMQPTable::T_INT_LONG_U);
    $t->set('l', 9000000000, AMQPTable::T_INT_LONGLONG);
    if ($floats) {
        // php-amqplib 3.5 can read these but its writer refuses them ("Unsupported type 18"),
        // so the peers leave them out.
        $t->set('f', 2.5, AMQPTable::T_FLOAT);
        $t->set('d', 0.125, AMQPTable::T_DOUBLE);
    }
    $t->set('D', new AMQPDecimal(-15, 1), AMQPTable::T_DECIMAL);
    $t->set('T', 1600000000, AMQPTable::T_TIMESTAMP);
    $t->set('V', null, AMQPTable::T_VOID);
    $t->set('t', true, AMQPTable::T_BOOL);
    $t->set('S', 'long string', AMQPTable::T_STRING_LONG);
    $t->set('x', "\x01\x02", AMQPTable::T_BYTES);
    $t->set('A', new AMQPArray([1, 'a', new AMQPTable(['k' => 'v'])]));
    $t->set('F', new AMQPTable(['inner' => 3]));
    return $t;
}

/** What the native API returns for typed_fixture(), as plain comparable values. */
function typed_fixture_native(bool $floats = true): array
{
    $v = [
        'b' => -5, 'B' => 250, 's' => -3000, 'u' => 60000, 'I' => -100000, 'i' => 4000000000,
        'l' => 9000000000, 'D' => 'decimal:-15:1', 'T' => 'time:1600000000',
        'V' => null, 't' => true, 'S' => 'long string', 'x' => "\x01\x02",
        'A' => [1, 'a', ['k' => 'v']], 'F' => ['inner' => 3],
    ];
    if ($floats) {
        $v = array_slice($v, 0, 7, true) + ['f' => 2.5, 'd' => 0.125] + array_slice($v, 7, null, true);
    }
    return $v;
}

/** Every basic property but headers, as php-amqplib names them. */
function property_fixture(): array
{
    return [
        'content_type' => 'application/json',
        'content_encoding' => 'utf-8',
        'delivery_mode' => 2,
        'priority' => 7,
        'correlation_id' => 'corr-1',
        'reply_to' => 'reply-queue',
        'expiration' => '600000',
        'message_id' => 'msg-1',
        'timestamp' => 1700000001,
        'type' => 'test.type',
        'user_id' => 'guest',
        'app_id' => 'warren-tests',
        'cluster_id' => 'cluster-a',
    ];
}

/** Turns objects into comparable scalars: DateTime → 'time:<ts>', AMQPDecimal → 'decimal:n:e'. */
function plain($v)
{
    if ($v instanceof DateTimeInterface) {
        return 'time:' . $v->getTimestamp();
    }
    if ($v instanceof AMQPDecimal) {
        return 'decimal:' . $v->getN() . ':' . $v->getE();
    }
    if ($v instanceof PhpAmqpLib\Wire\AMQPAbstractCollection) {
        return plain($v->getNativeData());
    }
    if (is_array($v)) {
        return array_map('plain', $v);
    }
    return $v;
}
