<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;

/**
 * The tutorial-style programs of tests/tutorials/ (RabbitMQ's PHP tutorials and the 2010
 * talk, written for php-amqplib 3.x) run as separate processes, on the compatibility layer
 * and, for reference, with php-amqplib itself (the same file with php-amqplib's autoloader in
 * the `require` line): both must print the same thing.
 */
final class TutorialTest extends TestCase
{
    /** @var TutorialProcess[] started in the test, stopped in tearDown */
    private array $running = [];
    private string $suffix;

    public static function clients(): array
    {
        return ['compatibility layer' => ['compat'], 'php-amqplib' => ['amqplib']];
    }

    protected function setUp(): void
    {
        $this->suffix = '-' . unique_name('tut');
    }

    protected function tearDown(): void
    {
        foreach ($this->running as $p) {
            $p->stop();
        }
        $this->running = [];
        // What the programs declare (the tutorials never delete anything).
        $conn = new Warren\Connection(warren_uri());
        $ch = $conn->channel();
        foreach (['hello', 'task_queue', 'rpc_queue', 'video-desc-queue'] as $q) {
            $ch->queueDelete($q . $this->suffix);
        }
        foreach (['logs', 'direct_logs', 'topic_logs', 'video-desc-ex', 'confirms_mandatory'] as $x) {
            $ch->exchangeDelete($x . $this->suffix);
        }
        $conn->close();
    }

    private function start(string $client, string $program, array $args = []): TutorialProcess
    {
        $p = new TutorialProcess($client, $program, $args, $this->suffix);
        $this->running[] = $p;
        return $p;
    }

    /** Runs a program to its end (at most 60 s); returns its output lines. */
    private function runToEnd(string $client, string $program, array $args = []): array
    {
        $p = $this->start($client, $program, $args);
        $code = $p->finish(60.0);
        $this->assertSame(0, $code, "$program exited with $code: " . $p->stderr());
        return $p->lines();
    }

    /** @dataProvider clients */
    public function testHelloWorld(string $client): void
    {
        $receiver = $this->start($client, 'receive.php');
        $receiver->expect(' [*] Waiting for messages. To exit press CTRL+C');
        $this->assertSame([" [x] Sent 'Hello World!'"], $this->runToEnd($client, 'send.php'));
        $receiver->expect(' [x] Received Hello World!');
    }

    /** @dataProvider clients */
    public function testWorkQueueSharesTasksFairlyAndAcksThem(string $client): void
    {
        $workers = [$this->start($client, 'worker.php'), $this->start($client, 'worker.php')];
        foreach ($workers as $w) {
            $w->expect(' [*] Waiting for messages. To exit press CTRL+C');
        }
        $tasks = [];
        for ($i = 1; $i <= 6; $i++) {
            $tasks[] = "task $i" . str_repeat('.', $i % 3 + 1);
            $this->assertSame([' [x] Sent ' . end($tasks)], $this->runToEnd($client, 'new_task.php', [end($tasks)]));
        }
        $received = [];
        $deadline = microtime(true) + 30;
        while (count($received) < 6 && microtime(true) < $deadline) {
            foreach ($workers as $n => $w) {
                foreach ($w->newLines() as $line) {
                    if (str_starts_with($line, ' [x] Received ')) {
                        $received[substr($line, 14)][] = $n;
                    }
                }
            }
            usleep(20000);
        }
        ksort($received);
        $expected = $tasks;
        sort($expected);
        $this->assertSame($expected, array_keys($received), 'every task delivered');
        foreach ($received as $task => $by) {
            $this->assertCount(1, $by, "task $task delivered once");
        }
        // Prefetch 1 with slow tasks: both workers got work.
        $this->assertCount(2, array_unique(array_merge(...array_values($received))));
        foreach ($workers as $w) {
            $w->waitFor(fn (array $lines) => count(array_keys($lines, ' [x] Done')) === count(preg_grep('/^ \[x\] Received /', $lines)), 10.0);
        }
        // Every task acked: nothing left in the durable queue once the workers are gone.
        foreach ($workers as $w) {
            $w->stop();
        }
        $this->assertSame(0, $this->messagesIn('task_queue' . $this->suffix));
    }

    /** @dataProvider clients */
    public function testPublishSubscribeReachesEverySubscriber(string $client): void
    {
        $subscribers = [$this->start($client, 'receive_logs.php'), $this->start($client, 'receive_logs.php')];
        foreach ($subscribers as $s) {
            $s->expect(' [*] Waiting for logs. To exit press CTRL+C');
        }
        $this->assertSame([' [x] Sent info: first'], $this->runToEnd($client, 'emit_log.php', ['info:', 'first']));
        $this->assertSame([' [x] Sent info: Hello World!'], $this->runToEnd($client, 'emit_log.php'));
        foreach ($subscribers as $s) {
            $s->expect(' [x] info: first');
            $s->expect(' [x] info: Hello World!');
        }
    }

    /** @dataProvider clients */
    public function testRoutingBySeverity(string $client): void
    {
        $problems = $this->start($client, 'receive_logs_direct.php', ['warning', 'error']);
        $info = $this->start($client, 'receive_logs_direct.php', ['info']);
        $problems->expect(' [*] Waiting for logs. To exit press CTRL+C');
        $info->expect(' [*] Waiting for logs. To exit press CTRL+C');
        foreach ([['error', 'Run. Run. Or it will explode.'], ['debug', 'noise'], ['info', 'fine'], ['warning', 'hm']] as [$sev, $text]) {
            $this->assertSame([" [x] Sent $sev:$text"], $this->runToEnd($client, 'emit_log_direct.php', [$sev, ...explode(' ', $text)]));
        }
        $problems->expect(' [x] error:Run. Run. Or it will explode.');
        $problems->expect(' [x] warning:hm');
        $info->expect(' [x] info:fine');
        usleep(200000);
        $this->assertSame([' [*] Waiting for logs. To exit press CTRL+C', ' [x] error:Run. Run. Or it will explode.', ' [x] warning:hm'], $problems->lines());
        $this->assertSame([' [*] Waiting for logs. To exit press CTRL+C', ' [x] info:fine'], $info->lines());
        // Without a severity the receiver prints its usage and exits 1, as the tutorial's does.
        $usage = $this->start($client, 'receive_logs_direct.php');
        $this->assertSame(1, $usage->finish(30.0));
        $this->assertStringContainsString('Usage:', $usage->stderr());
    }

    /** @dataProvider clients */
    public function testTopics(string $client): void
    {
        $kern = $this->start($client, 'receive_logs_topic.php', ['kern.*']);
        $critical = $this->start($client, 'receive_logs_topic.php', ['*.critical']);
        $all = $this->start($client, 'receive_logs_topic.php', ['#']);
        foreach ([$kern, $critical, $all] as $r) {
            $r->expect(' [*] Waiting for logs. To exit press CTRL+C');
        }
        $this->runToEnd($client, 'emit_log_topic.php', ['kern.critical', 'A', 'critical', 'kernel', 'error']);
        $this->runToEnd($client, 'emit_log_topic.php', ['cron.info', 'tick']);
        $this->runToEnd($client, 'emit_log_topic.php');
        $all->expect(' [x] kern.critical:A critical kernel error');
        $all->expect(' [x] cron.info:tick');
        $all->expect(' [x] anonymous.info:Hello World!');
        $kern->expect(' [x] kern.critical:A critical kernel error');
        $critical->expect(' [x] kern.critical:A critical kernel error');
        usleep(200000);
        $this->assertCount(2, $kern->lines());
        $this->assertCount(2, $critical->lines());
    }

    /** @dataProvider clients */
    public function testRpc(string $client): void
    {
        $server = $this->start($client, 'rpc_server.php');
        $server->expect(' [x] Awaiting RPC requests');
        // Not fib(0): the tutorial's `while (!$this->response)` never sees the reply "0".
        $this->assertSame([' [.] Got 55', ' [.] Got 1', ' [.] Got 832040'], $this->runToEnd($client, 'rpc_client.php', ['10', '1', '30']));
        $server->expect(' [.] fib(10)');
        $server->expect(' [.] fib(1)');
        $server->expect(' [.] fib(30)');
        // The server acked every request.
        $server->stop();
        $this->assertSame(0, $this->messagesIn('rpc_queue' . $this->suffix));
    }

    /** @dataProvider clients */
    public function testPublisherConfirms(string $client): void
    {
        $lines = $this->runToEnd($client, 'publisher_confirms.php');
        $this->assertCount(5, $lines, implode("\n", $lines));
        $this->assertMatchesRegularExpression('/^Published 500 messages individually in \d+ ms; 500 in the queue$/', $lines[0]);
        $this->assertMatchesRegularExpression('/^Published 500 messages in batch in \d+ ms; 500 in the queue$/', $lines[1]);
        $this->assertMatchesRegularExpression('/^Published 500 messages and handled confirms asynchronously in \d+ ms; acked 500, nacked 0, every message once: yes$/', $lines[2]);
        // The return comes before the ack, as the broker sends them.
        $this->assertSame('Message returned with content unroutable (312 NO_ROUTE)', $lines[3]);
        $this->assertSame('Message acked with content unroutable', $lines[4]);
    }

    /** @dataProvider clients */
    public function testTalkProducerAndConsumer(string $client): void
    {
        $this->assertSame(['sent video 1', 'sent video 2'], $this->runToEnd($client, 'talk_producer.php', ['video 1', 'video 2']));
        $consumer = $this->start($client, 'talk_consumer.php');
        $consumer->expect('waiting');
        $this->runToEnd($client, 'talk_producer.php', ['video 3', 'quit']);
        $this->assertSame(0, $consumer->finish(30.0), $consumer->stderr());
        $this->assertSame(['waiting', 'processing video 1 (text/plain)', 'processing video 2 (text/plain)',
            'processing video 3 (text/plain)', 'processing quit (text/plain)', 'closed'], $consumer->lines());
        $this->assertSame(0, $this->messagesIn('video-desc-queue' . $this->suffix));
    }

    private function messagesIn(string $queue): int
    {
        $conn = new Warren\Connection(warren_uri());
        $n = $conn->channel()->queueDeclare($queue, passive: true)['messageCount'];
        $conn->close();
        return $n;
    }
}

/** A tutorial program running in a PHP process of its own. */
final class TutorialProcess
{
    /** @var resource */
    private $proc;
    /** @var resource */
    private $out;
    /** @var resource */
    private $err;
    private string $buffer = '';
    private string $errors = '';
    /** @var string[] */
    private array $lines = [];
    private int $read = 0;
    private ?int $exitCode = null;
    private string $program;

    public function __construct(string $client, string $program, array $args, string $suffix)
    {
        $this->program = $program;
        $file = dirname(__DIR__) . '/tutorials/' . $program;
        $php = [PHP_BINARY];
        if ($client === 'compat') {
            $php = [PHP_BINARY, '-d', 'extension=' . warren_ext_path()];
        } else {
            // The same program with php-amqplib's autoloader in its require line.
            $copy = sys_get_temp_dir() . '/warren-tutorial-' . getmypid() . '-' . $program;
            $source = str_replace("__DIR__ . '/../../php-amqplib-compat/autoload.php'",
                "'/usr/share/php/PhpAmqpLib/autoload.php'", (string) file_get_contents($file));
            $source = str_replace("__DIR__ . '/../../php-amqplib-compat/", "'" . dirname(__DIR__, 2) . '/php-amqplib-compat/', $source);
            file_put_contents($copy, str_replace("__DIR__ . '/env.php'", "'" . dirname($file) . "/env.php'", $source));
            $file = $copy;
        }
        $u = parse_url(warren_uri());
        $env = ['PATH' => getenv('PATH'), 'AMQP_HOST' => $u['host'], 'AMQP_PORT' => (string) ($u['port'] ?? 5672),
            'TUTORIAL_SUFFIX' => $suffix];
        $this->proc = proc_open(array_merge($php, [$file], $args), [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes, null, $env);
        if (!is_resource($this->proc)) {
            throw new RuntimeException("cannot start $program");
        }
        fclose($pipes[0]);
        [, $this->out, $this->err] = $pipes;
        stream_set_blocking($this->out, false);
        stream_set_blocking($this->err, false);
    }

    private function pump(): void
    {
        while (($chunk = fread($this->out, 65536)) !== false && $chunk !== '') {
            $this->buffer .= $chunk;
        }
        while (($chunk = fread($this->err, 65536)) !== false && $chunk !== '') {
            $this->errors .= $chunk;
        }
        while (($nl = strpos($this->buffer, "\n")) !== false) {
            $this->lines[] = substr($this->buffer, 0, $nl);
            $this->buffer = substr($this->buffer, $nl + 1);
        }
    }

    /** Every line printed so far. */
    public function lines(): array
    {
        $this->pump();
        return $this->lines;
    }

    /** The lines printed since the last call. */
    public function newLines(): array
    {
        $this->pump();
        $new = array_slice($this->lines, $this->read);
        $this->read = count($this->lines);
        return $new;
    }

    public function stderr(): string
    {
        $this->pump();
        return $this->errors;
    }

    /** Waits (at most $timeout s) until $done(lines so far) holds; fails the test if it never does. */
    public function waitFor(callable $done, float $timeout): void
    {
        $deadline = microtime(true) + $timeout;
        while (!$done($this->lines())) {
            if (microtime(true) > $deadline || !$this->isRunning()) {
                $this->pump();
                if ($done($this->lines)) {
                    return;
                }
                TestCase::fail("{$this->program}: condition not met; output:\n" . implode("\n", $this->lines) . "\nstderr:\n" . $this->errors);
            }
            usleep(10000);
        }
    }

    /** Waits (at most 20 s) until the program has printed $line. */
    public function expect(string $line): void
    {
        $this->waitFor(fn (array $lines) => in_array($line, $lines, true), 20.0);
        TestCase::assertContains($line, $this->lines);
    }

    private function isRunning(): bool
    {
        if ($this->exitCode !== null) {
            return false;
        }
        $status = proc_get_status($this->proc);
        if (!$status['running']) {
            $this->exitCode = $status['exitcode'];
            return false;
        }
        return true;
    }

    /** Waits for the program to exit on its own (killing it after $timeout s); its exit code. */
    public function finish(float $timeout): int
    {
        $deadline = microtime(true) + $timeout;
        while ($this->isRunning() && microtime(true) < $deadline) {
            $this->pump();
            usleep(10000);
        }
        if ($this->isRunning()) {
            $this->stop();
            TestCase::fail("{$this->program} did not exit within {$timeout}s; output:\n" . implode("\n", $this->lines()));
        }
        $this->pump();
        return $this->exitCode;
    }

    /** Stops the program (SIGTERM, then SIGKILL) if it still runs. */
    public function stop(): void
    {
        if ($this->isRunning()) {
            proc_terminate($this->proc, 15);
            $deadline = microtime(true) + 5;
            while ($this->isRunning() && microtime(true) < $deadline) {
                usleep(10000);
            }
            if ($this->isRunning()) {
                proc_terminate($this->proc, 9);
            }
        }
        $this->pump();
        if ($this->exitCode === null) {
            // Reaps it.
            proc_close($this->proc);
            $this->exitCode = -1;
        }
    }
}
