<?php
/**
 * Writes the IDE / static-analysis stubs of the loaded `warren` extension, from PHP's own
 * reflection of it, so the stubs describe exactly what the built extension registers.
 *
 *   php -d extension=target/release/libwarren_php.so bindings-php/tools/stubs.php > bindings-php/stubs/warren.php
 *   php -d extension=target/release/libwarren_php.so bindings-php/tools/stubs.php --check bindings-php/stubs/warren.php
 *
 * With --check it compares instead of writing, and exits 1 (printing a diff hint) when the
 * committed stubs differ from the extension.
 */

declare(strict_types=1);

if (!extension_loaded('warren')) {
    fwrite(STDERR, "the warren extension is not loaded (php -d extension=.../libwarren_php.so)\n");
    exit(2);
}

function type_str(?ReflectionType $t): string
{
    if ($t === null) {
        return '';
    }
    $s = (string) $t;
    // Qualify class names (everything that is not a builtin type) from the global namespace.
    $parts = preg_split('/([|&?])/', $s, -1, PREG_SPLIT_DELIM_CAPTURE | PREG_SPLIT_NO_EMPTY);
    $builtin = ['int', 'float', 'string', 'bool', 'array', 'mixed', 'void', 'null', 'callable',
        'iterable', 'object', 'never', 'false', 'true', 'static', 'self'];
    $out = '';
    foreach ($parts as $p) {
        $out .= (in_array($p, ['|', '&', '?'], true) || in_array(strtolower($p), $builtin, true))
            ? $p : '\\' . ltrim($p, '\\');
    }
    return $out;
}

/**
 * Parameters that ext-php-rs can only declare as mixed (it has no union types) and that the
 * extension checks itself at run time: the union each really accepts, written in the stubs
 * in place of mixed.
 */
const UNIONS = [
    'Warren\\Channel::basicPublish($properties)' => 'array|\\Warren\\Properties|null',
    'Warren\\RpcClient::call($properties)' => 'array|\\Warren\\Properties|null',
];

function param_str(ReflectionParameter $p): string
{
    $s = '';
    $t = type_str($p->getType());
    $fn = $p->getDeclaringFunction();
    $key = ($fn instanceof ReflectionMethod ? $fn->getDeclaringClass()->getName() . '::' : '') . $fn->getName() . '($' . $p->getName() . ')';
    if (isset(UNIONS[$key]) && ($t === '' || $t === 'mixed' || $t === '?mixed')) {
        $t = UNIONS[$key];
    }
    if ($t !== '') {
        $s .= $t . ' ';
    }
    if ($p->isVariadic()) {
        $s .= '...';
    }
    $s .= '$' . $p->getName();
    if ($p->isOptional() && !$p->isVariadic()) {
        if ($p->isDefaultValueAvailable()) {
            $s .= ' = ' . ($p->isDefaultValueConstant()
                ? $p->getDefaultValueConstantName()
                : var_export($p->getDefaultValue(), true));
        } else {
            $s .= ' = null';
        }
    }
    return $s;
}

function class_stub(ReflectionClass $c): string
{
    $lines = [];
    $kind = $c->isInterface() ? 'interface' : (($c->isFinal() ? 'final ' : '') . ($c->isAbstract() ? 'abstract ' : '') . 'class');
    $head = $kind . ' ' . $c->getShortName();
    $parent = $c->getParentClass();
    if ($parent) {
        $head .= ' extends \\' . $parent->getName();
    }
    $own_ifaces = array_diff($c->getInterfaceNames(), $parent ? $parent->getInterfaceNames() : []);
    sort($own_ifaces);
    $own_ifaces = array_values(array_filter($own_ifaces, fn ($i) => $i !== 'Stringable' && $i !== 'Throwable'));
    if ($own_ifaces) {
        $head .= ' implements \\' . implode(', \\', $own_ifaces);
    }
    $lines[] = $head;
    $lines[] = '{';
    $consts = $c->getReflectionConstants();
    usort($consts, fn ($a, $b) => strcmp($a->getName(), $b->getName()));
    foreach ($consts as $k) {
        if ($k->getDeclaringClass()->getName() !== $c->getName()) {
            continue;
        }
        $lines[] = '    public const ' . $k->getName() . ' = ' . var_export($k->getValue(), true) . ';';
    }
    $props = $c->getProperties();
    usort($props, fn ($a, $b) => strcmp($a->getName(), $b->getName()));
    foreach ($props as $p) {
        if ($p->getDeclaringClass()->getName() !== $c->getName()) {
            continue;
        }
        $vis = $p->isPublic() ? 'public' : ($p->isProtected() ? 'protected' : 'private');
        $t = type_str($p->getType());
        $lines[] = '    ' . $vis . ($p->isStatic() ? ' static' : '') . ($p->isReadOnly() ? ' readonly' : '')
            . ($t !== '' ? ' ' . $t : '') . ' $' . $p->getName() . ';';
    }
    $methods = $c->getMethods();
    usort($methods, fn ($a, $b) => strcmp($a->getName(), $b->getName()));
    foreach ($methods as $m) {
        if ($m->getDeclaringClass()->getName() !== $c->getName()) {
            continue;
        }
        $vis = $m->isPublic() ? 'public' : ($m->isProtected() ? 'protected' : 'private');
        $sig = '    ' . $vis . ($m->isStatic() ? ' static' : '') . ' function ' . $m->getName() . '('
            . implode(', ', array_map('param_str', $m->getParameters())) . ')';
        $rt = $m->hasReturnType() ? $m->getReturnType() : ($m->hasTentativeReturnType() ? $m->getTentativeReturnType() : null);
        if ($rt !== null) {
            $sig .= ': ' . type_str($rt);
        }
        $lines[] = $sig . ' {}';
    }
    $lines[] = '}';
    return implode("\n", $lines);
}

$ext = new ReflectionExtension('warren');
$classes = array_map(fn ($n) => new ReflectionClass($n), $ext->getClassNames());
usort($classes, fn ($a, $b) => strcmp($a->getName(), $b->getName()));

$out = "<?php\n\n// Stubs for the warren PHP extension " . $ext->getVersion() . ".\n"
    . "// Generated by bindings-php/tools/stubs.php from the built extension; do not edit.\n\n";
$byNs = [];
foreach ($classes as $c) {
    $byNs[$c->getNamespaceName()][] = class_stub($c);
}
foreach ($byNs as $ns => $stubs) {
    $out .= "namespace $ns {\n\n" . implode("\n\n", $stubs) . "\n\n}\n\n";
}
$out = rtrim($out) . "\n";

if (($argv[1] ?? '') === '--check') {
    $file = $argv[2] ?? '';
    $committed = @file_get_contents($file);
    if ($committed !== $out) {
        fwrite(STDERR, "$file does not match the built extension; regenerate it:\n"
            . "  php -d extension=target/release/libwarren_php.so bindings-php/tools/stubs.php > $file\n");
        $tmp = tempnam(sys_get_temp_dir(), 'warren-stubs');
        file_put_contents($tmp, $out);
        passthru('diff -u ' . escapeshellarg($file) . ' ' . escapeshellarg($tmp));
        unlink($tmp);
        exit(1);
    }
    echo "stubs match the extension\n";
    exit(0);
}
echo $out;
