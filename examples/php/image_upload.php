<?php
/**
 * Scenario 2, image upload: a fanout exchange `upload-pictures`; queues `resize-picture`,
 * `reward-user` and `notify-friends` each get every upload as JSON (image_id, user_id,
 * image_path; content type application/json); consumers ack by hand. All three consumers
 * run in one process on one connection, served by one wait() loop.
 *
 *   php -d extension=target/release/libwarren_php.so examples/php/image_upload.php [URI] [--uploads 8]
 */
declare(strict_types=1);
require __DIR__ . '/common.php';

use Warren\Connection;
use Warren\Message;

$uri = example_uri($argv);
$uploads = example_option($argv, 'uploads', 8);
$queues = ['resize-picture', 'reward-user', 'notify-friends'];

$conn = new Connection($uri);
$ch = $conn->channel();
$ch->exchangeDeclare('upload-pictures', 'fanout', durable: true);
foreach ($queues as $q) {
    $ch->queueDeclare($q, durable: true);
    $ch->queuePurge($q);
    $ch->queueBind($q, 'upload-pictures');
}

$seen = array_fill_keys($queues, []);
foreach ($queues as $q) {
    $consumer = $conn->channel();
    $consumer->basicQos(10);
    $consumer->basicConsume($q, function (Message $m) use (&$seen, $q) {
        if (($m->properties['content_type'] ?? '') !== 'application/json') {
            example_fail('image_upload', 'wrong content type');
        }
        $upload = json_decode($m->body, true, flags: JSON_THROW_ON_ERROR);
        $seen[$q][] = $upload['image_id'];
        $m->ack();
    });
}

for ($i = 1; $i <= $uploads; $i++) {
    $ch->basicPublish('upload-pictures', '', json_encode([
        'image_id' => $i,
        'user_id' => 1000 + $i,
        'image_path' => "/uploads/$i.jpg",
    ]), ['content_type' => 'application/json', 'delivery_mode' => 2]);
}

$deadline = microtime(true) + 20;
while (array_sum(array_map('count', $seen)) < 3 * $uploads && microtime(true) < $deadline) {
    $ch->wait(1.0);
}
foreach ($queues as $q) {
    sort($seen[$q]);
    if ($seen[$q] !== range(1, $uploads)) {
        example_fail('image_upload', "$q got " . json_encode($seen[$q]));
    }
    $ch->queueDelete($q);
}
$ch->exchangeDelete('upload-pictures');
$conn->close();
echo "OK: $uploads uploads reached all three queues\n";
