<?php
/**
 * php-amqplib 3.x's API over the warren extension. Require this file instead of php-amqplib's
 * autoloader (or Composer's vendor/autoload.php for php-amqplib); nothing else in the
 * application changes:
 *
 *   require '/path/to/bindings-php/php-amqplib-compat/autoload.php';
 *   $connection = new PhpAmqpLib\Connection\AMQPStreamConnection('localhost', 5672, 'guest', 'guest');
 *
 * The extension must be loaded (php -d extension=.../libwarren_php.so, or a php.ini line).
 * Do not load php-amqplib's own classes in the same process: the names are the same.
 */

declare(strict_types=1);

if (!extension_loaded('warren')) {
    throw new RuntimeException('the php-amqplib compatibility layer needs the warren extension '
        . '(php -d extension=/path/to/libwarren_php.so)');
}

spl_autoload_register(static function (string $class): void {
    foreach (['PhpAmqpLib\\', 'Warren\\Compat\\'] as $prefix) {
        if (strncmp($class, $prefix, strlen($prefix)) === 0) {
            $file = __DIR__ . '/' . str_replace('\\', '/', $class) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
}, true, true);
