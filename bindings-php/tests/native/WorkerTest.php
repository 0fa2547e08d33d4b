<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use Warren\Connection;
use Warren\Exception\ConnectionException;
use Warren\Message;

/** Long-running workers: heartbeats during long callbacks, signals, fork, broker restarts. */
final class WorkerTest extends TestCase
{
    public function testALongCallbackKeepsTheConnectionWherePhpAmqplibLosesIt(): void
    {
        $conn = new Connection(warren_uri(), ['heartbeat' => 1]);
        $ch = $conn->channel();
        $q = $ch->queueDeclare('', exclusive: true)['name'];
        $ch->basicPublish('', $q, 'work');
        $acked = false;
        $ch->basicConsume($q, function (Message $m) use (&$acked) {
            sleep(4); // four heartbeat intervals without a word from PHP
            $m->ack();
            $acked = true;
        });
        $this->assertTrue($ch->wait(5.0));
        $this->assertTrue($acked);
        // The same connection, never lost: no recovery happened and the ack was accepted.
        $this->assertSame(0, $ch->queueDeclare($q, passive: true)['messageCount']);
        $this->assertSame(0, $conn->metrics()['recoveries']);
        $this->assertTrue($conn->isConnected());
        $conn->close();

        $peer = amqplib_peer('heartbeat.php', ['sleep' => 4]);
        $this->assertFalse($peer['survived'], 'php-amqplib keeps its connection: ' . json_encode($peer));
    }

    public function testSigtermInterruptsWaitAndTheWorkerExitsCleanly(): void
    {
        [$proc, $out, $err] = start_php(__DIR__ . '/../workers/signal_worker.php');
        $this->assertSame('ready', read_line($out, 10.0), stream_get_contents($err));
        usleep(300000); // the worker is inside wait() now
        $pid = proc_get_status($proc)['pid'];
        $sent = microtime(true);
        posix_kill($pid, SIGTERM);
        $line = read_line($out, 5.0);
        $elapsed = microtime(true) - $sent;
        $this->assertSame('clean exit after signal ' . SIGTERM, $line);
        $this->assertLessThan(1.0, $elapsed, 'wait() returned promptly');
        $this->assertSame(0, proc_close($proc));
    }

    public function testSignalHandlerRunsDuringAnEndlessWait(): void
    {
        pcntl_async_signals(true);
        $got = null;
        pcntl_signal(SIGUSR1, function () use (&$got) {
            $got = microtime(true);
        });
        $conn = new Connection(warren_uri());
        $ch = $conn->channel();
        $q = $ch->queueDeclare('', exclusive: true)['name'];
        $ch->basicConsume($q, fn (Message $m) => $m->ack());
        $me = getmypid();
        exec("(sleep 0.3; kill -USR1 $me) > /dev/null 2>&1 &");
        $start = microtime(true);
        while ($got === null && microtime(true) - $start < 5) {
            $ch->wait();
        }
        pcntl_signal(SIGUSR1, SIG_DFL);
        $this->assertNotNull($got, 'the handler ran');
        $this->assertLessThan(1.5, microtime(true) - $start);
        $conn->close();
    }

    public function testAConnectionOpenedBeforeForkIsNotSharedByTheChild(): void
    {
        $conn = new Connection(warren_uri());
        $ch = $conn->channel();
        $q = $ch->queueDeclare('', exclusive: true)['name'];
        $result = tempnam(sys_get_temp_dir(), 'warren-fork');
        $pid = pcntl_fork();
        if ($pid === 0) {
            $code = 1;
            try {
                $ch->basicPublish('', $q, 'from the child on the parent connection');
            } catch (ConnectionException $e) {
                $code = str_contains($e->getMessage(), 'fork') ? 0 : 2;
            }
            if ($code === 0) {
                // The child opens its own connection and works normally.
                $own = new Connection(warren_uri());
                $own->channel()->queueDeclare('', exclusive: true);
                $own->close();
            }
            file_put_contents($result, (string) $code);
            // Skip PHP's shutdown (PHPUnit's) in the child; the parent's objects stay the parent's.
            posix_kill(getmypid(), SIGKILL);
        }
        pcntl_waitpid($pid, $status);
        $code = file_get_contents($result);
        unlink($result);
        $this->assertSame('0', $code, 'the child got a ConnectionException naming the fork, then worked on its own connection');
        // The parent's connection is intact: the child neither wrote on it nor closed it.
        $ch->basicPublish('', $q, 'from the parent');
        usleep(100000);
        $this->assertSame(1, $ch->queueDeclare($q, passive: true)['messageCount']);
        $conn->close();
    }

    public function testAForkedChildExitingNormallyLeavesTheParentsConnectionOpen(): void
    {
        $conn = new Connection(warren_uri());
        $ch = $conn->channel();
        $q = $ch->queueDeclare('', exclusive: true)['name'];
        $pid = pcntl_fork();
        if ($pid === 0) {
            // A plain exit: PHP frees the parent's objects here, which must not close the
            // parent's connection.
            exit(0);
        }
        pcntl_waitpid($pid, $status);
        $this->assertSame(0, pcntl_wexitstatus($status));
        $ch->basicPublish('', $q, 'still mine');
        usleep(100000);
        $this->assertSame(1, $ch->queueDeclare($q, passive: true)['messageCount']);
        $conn->close();
    }

    public function testAWorkerSurvivesKillAndRestartOfTheBroker(): void
    {
        $bin = getenv('WARREN_BROKER_BIN');
        if (!$bin || !is_executable($bin)) {
            $this->markTestSkipped('set WARREN_BROKER_BIN to a warren-broker binary');
        }
        $port = 20000 + getmypid() % 20000;
        $dir = sys_get_temp_dir() . '/warren-php-restart-' . getmypid();
        @mkdir($dir);
        $start = function () use ($bin, $port, $dir) {
            $p = proc_open([$bin, '--listen', "127.0.0.1:$port", '--data-dir', $dir],
                [1 => ['file', '/dev/null', 'w'], 2 => ['file', "$dir.log", 'a']], $pipes);
            $deadline = microtime(true) + 10;
            while (microtime(true) < $deadline && !@fsockopen('127.0.0.1', $port)) {
                usleep(50000);
            }
            return $p;
        };
        $broker = $start();
        $uri = "amqp://guest:guest@127.0.0.1:$port/%2f";
        $queue = unique_name('restart');
        [$worker, $out, $err] = start_php(__DIR__ . '/../workers/recovering_worker.php', [$queue], ['WARREN_URI' => $uri]);
        try {
            $this->assertSame('ready', read_line($out, 10.0), stream_get_contents($err));
            $pub = new Connection($uri, ['recovery' => false]);
            $ch = $pub->channel();
            $ch->confirmSelect();
            for ($i = 1; $i <= 5; $i++) {
                $ch->basicPublish('', $queue, "before-$i", ['delivery_mode' => 2]);
            }
            $ch->waitForConfirms(10.0);
            $seen = [];
            while (count($seen) < 5 && ($line = read_line($out, 5.0)) !== null) {
                $seen[$line] = true;
            }
            $this->assertCount(5, $seen);

            // kill -9 and restart on the same port and data directory.
            proc_terminate($broker, SIGKILL);
            proc_close($broker);
            usleep(500000);
            $broker = $start();

            $pub = new Connection($uri, ['recovery' => false]);
            $ch = $pub->channel();
            $ch->confirmSelect();
            for ($i = 1; $i <= 5; $i++) {
                $ch->basicPublish('', $queue, "after-$i", ['delivery_mode' => 2]);
            }
            $ch->basicPublish('', $queue, 'stop', ['delivery_mode' => 2]);
            $ch->waitForConfirms(10.0);
            while (!isset($seen['stop']) && ($line = read_line($out, 20.0)) !== null) {
                $seen[$line] = true;
            }
            foreach (['after-1', 'after-5', 'stop'] as $want) {
                $this->assertArrayHasKey($want, $seen, 'worker output: ' . json_encode(array_keys($seen)) . ' ' . stream_get_contents($err));
            }
            $pub->close();
        } finally {
            proc_terminate($worker, SIGKILL);
            proc_close($worker);
            proc_terminate($broker, SIGKILL);
            proc_close($broker);
            exec('rm -rf ' . escapeshellarg($dir) . ' ' . escapeshellarg("$dir.log"));
        }
    }
}
