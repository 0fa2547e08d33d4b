<?php
// The compatibility suite: the shared helpers, then the layer's autoloader (never php-amqplib's).
declare(strict_types=1);

require __DIR__ . '/bootstrap.php';
require __DIR__ . '/../php-amqplib-compat/autoload.php';
require __DIR__ . '/../php-amqplib-compat/aliases-2010.php';

/** Host, port, user, password and vhost of WARREN_URI, as php-amqplib's constructors take them. */
function amqp_params(): array
{
    $u = parse_url(warren_uri());
    return [$u['host'], $u['port'] ?? 5672, urldecode($u['user'] ?? 'guest'), urldecode($u['pass'] ?? 'guest'),
        urldecode(ltrim($u['path'] ?? '/', '/')) ?: '/'];
}
