<?php
/**
 * Scenario 1, batch processing: a durable direct exchange `video-desc-ex` and a durable queue
 * `video-desc-queue` (key `video-desc`); persistent jobs; workers are separate processes
 * (pcntl_fork, each with its own connection) with prefetch 1 and manual acks. Add or remove
 * workers at will: nothing else changes.
 *
 *   php -d extension=target/release/libwarren_php.so examples/php/batch_processing.php [URI] [--workers 3] [--jobs 30]
 */
declare(strict_types=1);
require __DIR__ . '/common.php';

use Warren\Connection;
use Warren\Message;

$uri = example_uri($argv);
$workers = example_option($argv, 'workers', 3);
$jobs = example_option($argv, 'jobs', 30);

function declare_topology(Warren\Channel $ch): void
{
    $ch->exchangeDeclare('video-desc-ex', 'direct', durable: true);
    $ch->queueDeclare('video-desc-queue', durable: true);
    $ch->queueBind('video-desc-queue', 'video-desc-ex', 'video-desc');
}

$conn = new Connection($uri);
$ch = $conn->channel();
declare_topology($ch);
$ch->queuePurge('video-desc-queue');

// Workers: forked before the parent publishes; each opens its own connection (a connection
// opened before fork() belongs to the parent).
$results = [];
$children = [];
for ($w = 0; $w < $workers; $w++) {
    $file = tempnam(sys_get_temp_dir(), 'video-desc');
    $pid = pcntl_fork();
    if ($pid === -1) {
        example_fail('batch_processing', 'fork failed');
    }
    if ($pid === 0) {
        $mine = new Connection($uri);
        $wch = $mine->channel();
        $wch->basicQos(1);
        $done = [];
        $wch->basicConsume('video-desc-queue', function (Message $m) use (&$done) {
            $job = json_decode($m->body, true);
            usleep(2000); // "transcode" the video description
            $done[] = $job['video_id'];
            $m->ack();
        });
        $idle = 0;
        while ($idle < 10) { // stop after ~1 s without work
            $idle = $wch->wait(0.1) ? 0 : $idle + 1;
        }
        $mine->close();
        file_put_contents($file, json_encode($done));
        exit(0);
    }
    $children[$pid] = $file;
}

$ch->confirmSelect();
for ($i = 1; $i <= $jobs; $i++) {
    $ch->basicPublish('video-desc-ex', 'video-desc', json_encode(['video_id' => $i, 'description' => "video $i"]), [
        'content_type' => 'application/json',
        'delivery_mode' => 2,
    ]);
}
$ch->waitForConfirms(30.0);

$processed = [];
$busy = 0;
foreach ($children as $pid => $file) {
    pcntl_waitpid($pid, $status);
    if (!pcntl_wifexited($status) || pcntl_wexitstatus($status) !== 0) {
        example_fail('batch_processing', "worker $pid failed");
    }
    $done = json_decode((string) file_get_contents($file), true) ?: [];
    unlink($file);
    $busy += $done ? 1 : 0;
    $processed = array_merge($processed, $done);
}
sort($processed);
$conn->close();
if ($processed !== range(1, $jobs)) {
    example_fail('batch_processing', 'jobs processed: ' . json_encode($processed));
}
echo "OK: $jobs persistent jobs processed exactly once by $workers workers ($busy did work)\n";
