<?php

namespace PhpAmqpLib\Wire;

use PhpAmqpLib\Exception\AMQPInvalidArgumentException;
use PhpAmqpLib\Exception\AMQPOutOfBoundsException;
use PhpAmqpLib\Exception\AMQPOutOfRangeException;

/**
 * A field table or array whose entries keep an explicit AMQP type, php-amqplib's API.
 *
 * Each entry is stored as [type, value] with the type constants below; iterating yields those
 * pairs, which is how the warren extension reads a collection when it encodes it. Plain PHP
 * values get their type as php-amqplib infers it (RabbitMQ's field types): string → S, int →
 * I or l, float → S (its string form), bool → t, null → V, DateTimeInterface → T,
 * AMQPDecimal → D, list → A, other array → F.
 */
abstract class AMQPAbstractCollection implements \Iterator, \ArrayAccess
{
    const PROTOCOL_RBT = 'rabbit';

    const T_INT_SHORTSHORT = 1;
    const T_INT_SHORTSHORT_U = 2;
    const T_INT_SHORT = 3;
    const T_INT_SHORT_U = 4;
    const T_INT_LONG = 5;
    const T_INT_LONG_U = 6;
    const T_INT_LONGLONG = 7;
    const T_INT_LONGLONG_U = 8;
    const T_DECIMAL = 9;
    const T_TIMESTAMP = 10;
    const T_VOID = 11;
    const T_BOOL = 12;
    const T_STRING_SHORT = 13;
    const T_STRING_LONG = 14;
    const T_ARRAY = 15;
    const T_TABLE = 16;
    const T_BYTES = 17;
    const T_FLOAT = 18;
    const T_DOUBLE = 19;

    /** RabbitMQ's field type letters, the only protocol variant this layer speaks. */
    private const SYMBOLS = [
        self::T_INT_SHORTSHORT => 'b',
        self::T_INT_SHORTSHORT_U => 'B',
        self::T_INT_SHORT => 's',
        self::T_INT_SHORT_U => 'u',
        self::T_INT_LONG => 'I',
        self::T_INT_LONG_U => 'i',
        self::T_INT_LONGLONG => 'l',
        self::T_FLOAT => 'f',
        self::T_DOUBLE => 'd',
        self::T_DECIMAL => 'D',
        self::T_TIMESTAMP => 'T',
        self::T_VOID => 'V',
        self::T_BOOL => 't',
        self::T_STRING_LONG => 'S',
        self::T_ARRAY => 'A',
        self::T_TABLE => 'F',
        self::T_BYTES => 'x',
    ];

    /** @var array<int|string, array{0: int, 1: mixed}> */
    protected $data = array();

    public function __construct(?array $data = null)
    {
        foreach ($data ?? [] as $k => $v) {
            $this->data[$k] = $this->encodeValue($v);
        }
    }

    /**
     * A collection from the extension's typed values (`[type letter, value]` entries, see
     * Warren\Message::$typedHeaders), keeping every type.
     *
     * @internal
     */
    public static function fromTyped(array $entries): static
    {
        $c = new static();
        foreach ($entries as $k => [$letter, $v]) {
            if ($letter === 'L') {
                $type = self::T_INT_LONGLONG;
            } else {
                $type = self::getDataTypeForSymbol($letter);
            }
            if ($type === self::T_TABLE) {
                $v = AMQPTable::fromTyped($v);
            } elseif ($type === self::T_ARRAY) {
                $v = AMQPArray::fromTyped($v);
            }
            $c->data[$c instanceof AMQPArray ? count($c->data) : $k] = [$type, $v];
        }
        return $c;
    }

    /** T_TABLE or T_ARRAY. */
    abstract public function getType();

    /** Adds a value, inferring its type unless $type is given. */
    final protected function setValue($val, $type = null, $key = null)
    {
        if ($val instanceof self) {
            if ($type && $type !== $val->getType()) {
                throw new AMQPInvalidArgumentException(sprintf(
                    'Attempted to add instance of %s representing type [%s] as mismatching type [%s]',
                    get_class($val),
                    $val->getType(),
                    $type
                ));
            }
            $entry = [$val->getType(), $val];
        } elseif ($type) {
            if ($type === self::T_ARRAY) {
                throw new AMQPInvalidArgumentException('Arrays must be passed as AMQPArray instance');
            }
            if ($type === self::T_TABLE) {
                throw new AMQPInvalidArgumentException('Tables must be passed as AMQPTable instance');
            }
            if ($type === self::T_DECIMAL && !$val instanceof AMQPDecimal) {
                throw new AMQPInvalidArgumentException('Decimal values must be instance of AMQPDecimal');
            }
            self::checkDataTypeIsSupported($type, false);
            $entry = [$type, $val];
        } else {
            $entry = $this->encodeValue($val);
        }
        if ($key === null) {
            $this->data[] = $entry;
        } else {
            $this->data[$key] = $entry;
        }
    }

    /** The entries as plain PHP values (nested collections too). */
    final public function getNativeData()
    {
        $out = [];
        foreach ($this->data as $k => [$type, $v]) {
            $out[$k] = $this->decodeValue($v, $type);
        }
        return $out;
    }

    protected function encodeValue($val)
    {
        if (is_string($val)) {
            return [self::T_STRING_LONG, $val];
        }
        if (is_float($val)) {
            return [self::T_STRING_LONG, (string) $val];
        }
        if (is_int($val)) {
            return ($val >= -2147483648 && $val <= 2147483647)
                ? [self::T_INT_LONG, $val] : [self::T_INT_LONGLONG, $val];
        }
        if (is_bool($val)) {
            return [self::T_BOOL, $val];
        }
        if ($val === null) {
            return [self::T_VOID, null];
        }
        if ($val instanceof \DateTimeInterface) {
            return [self::T_TIMESTAMP, $val->getTimestamp()];
        }
        if ($val instanceof AMQPDecimal) {
            return [self::T_DECIMAL, $val];
        }
        if ($val instanceof self) {
            return [$val->getType(), $val];
        }
        if (is_array($val)) {
            return (!$val || array_is_list($val))
                ? [self::T_ARRAY, new AMQPArray($val)]
                : [self::T_TABLE, new AMQPTable($val)];
        }
        throw new AMQPOutOfBoundsException(sprintf('Encountered value of unsupported type: %s', gettype($val)));
    }

    protected function decodeValue($val, $type)
    {
        if ($val instanceof self) {
            return $val->getNativeData();
        }
        switch ($type) {
            case self::T_BOOL:
                return (bool) $val;
            case self::T_TIMESTAMP:
                return $val instanceof \DateTimeInterface ? $val : \DateTime::createFromFormat('U', (string) $val);
            case self::T_VOID:
                return null;
        }
        return $val;
    }

    final public static function getProtocol()
    {
        return self::PROTOCOL_RBT;
    }

    final public static function isProtocol($proto)
    {
        return $proto === self::PROTOCOL_RBT;
    }

    final public static function getSupportedDataTypes()
    {
        return self::SYMBOLS;
    }

    final public static function checkDataTypeIsSupported($type, $return = true)
    {
        if (isset(self::SYMBOLS[$type])) {
            return true;
        }
        if ($return) {
            return false;
        }
        throw new AMQPOutOfRangeException(sprintf('AMQP-rabbit doesn\'t support data of type [%s]', $type));
    }

    final public static function getSymbolForDataType($type)
    {
        self::checkDataTypeIsSupported($type, false);
        return self::SYMBOLS[$type];
    }

    final public static function getDataTypeForSymbol($symbol)
    {
        $type = array_search($symbol, self::SYMBOLS, true);
        if ($type === false) {
            throw new AMQPOutOfRangeException(sprintf('AMQP-rabbit doesn\'t define data of type [%s]', $symbol));
        }
        return $type;
    }

    public function offsetExists($offset): bool
    {
        return isset($this->data[$offset]);
    }

    #[\ReturnTypeWillChange]
    public function offsetGet($offset)
    {
        return isset($this->data[$offset]) ? $this->data[$offset][1] : null;
    }

    public function offsetSet($offset, $value): void
    {
        $this->setValue($value, null, $offset);
    }

    public function offsetUnset($offset): void
    {
        unset($this->data[$offset]);
    }

    #[\ReturnTypeWillChange]
    public function current()
    {
        return current($this->data);
    }

    #[\ReturnTypeWillChange]
    public function key()
    {
        return key($this->data);
    }

    public function next(): void
    {
        next($this->data);
    }

    public function rewind(): void
    {
        reset($this->data);
    }

    public function valid(): bool
    {
        return key($this->data) !== null;
    }
}
