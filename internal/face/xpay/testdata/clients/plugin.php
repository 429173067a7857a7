<?php
// What xpay's shop plugins (WooCommerce, PrestaShop, Laravel) do against the
// API, written from PHP's curl documentation: curl with no User-Agent,
// "Accept: */*" (curl's default), "Content-type: application/json", TLS
// verification off, the amount a float with binary noise and the exchange id
// a string. The sandbox chain's operator routes stand in for the buyer's
// wallet and the miners.
//
// php plugin.php BASE EMAIL PASSWORD CALLBACK SERVER APIKEY
//   BASE      the shop's xpay base URL, ending in "/" (http://host/xpay/)
//   SERVER    the gateway's root, for /sandbox/chain (the operator's side)
//   APIKEY    an application API key of the commerce, for the sandbox chain
//
// Each step prints one line "step: detail"; the last line is "ok". Any
// failure prints "FAIL: …" and exits 1.

ini_set('serialize_precision', '17'); // as PHP < 7.1 did: floats keep their noise

[$_, $base, $email, $password, $callback, $server, $apiKey] = $argv;

function fail($msg) { fwrite(STDOUT, "FAIL: $msg\n"); exit(1); }
function step($name, $detail) { fwrite(STDOUT, "$name: $detail\n"); }

// call does what the plugins' xpaylib does: one curl handle per request.
function call($method, $url, $token = null, $body = null, $extra = []) {
    $ch = curl_init($url);
    $headers = ['Content-type: application/json', 'Accept: */*'];
    if ($token !== null) { $headers[] = 'Authorization: Token ' . $token; }
    foreach ($extra as $h) { $headers[] = $h; }
    curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
    curl_setopt($ch, CURLOPT_SSL_VERIFYPEER, false);
    curl_setopt($ch, CURLOPT_SSL_VERIFYHOST, 0);
    curl_setopt($ch, CURLOPT_HTTPHEADER, $headers);
    curl_setopt($ch, CURLOPT_CUSTOMREQUEST, $method);
    if ($body !== null) { curl_setopt($ch, CURLOPT_POSTFIELDS, $body); }
    $raw = curl_exec($ch);
    if ($raw === false) { fail("$method $url: " . curl_error($ch)); }
    $status = curl_getinfo($ch, CURLINFO_HTTP_CODE);
    curl_close($ch);
    $json = json_decode($raw, true);
    if (!is_array($json)) { fail("$method $url: $status, not JSON: $raw"); }
    return [$status, $json, $raw];
}

// Login (the older WooCommerce plugin and the Laravel module); the key is
// what the newer plugins store.
[$st, $res] = call('POST', $base . 'api/v1/auth/login/', null, json_encode(['email' => $email, 'password' => $password]));
if ($st != 200 || empty($res['key'])) { fail("login: $st " . json_encode($res)); }
$token = $res['key'];
step('login', strlen($token) . ' characters');

// The token check: the plugins count a token as valid when user_info is there.
[$st, $res] = call('GET', $base . 'api/v1/users/', $token);
if (empty($res['user_info'])) { fail("users: $st " . json_encode($res)); }
step('users', $res['user_info']['email']);

// Quotes for the order's total, with two decimals as the newer plugins send it.
$total = 150000.1 + 0.2; // 150000.30000000002: the cart total of float arithmetic
[$st, $res] = call('GET', $base . 'api/v1/transactions/available/currencies/' . number_format($total, 2, '.', '') . '/COP/', $token);
if ($st != 200 || empty($res['available_currencies'])) { fail("quotes: $st " . json_encode($res)); }
$pick = null;
foreach ($res['available_currencies'] as $c) {
    if ($c['currency']['code'] == 'BTC') { $pick = $c; }
}
if ($pick === null || !isset($pick['amount']) || !isset($pick['exchange'])) { fail('quotes: no BTC with amount and exchange'); }
step('quotes', count($res['available_currencies']) . ' currencies, BTC ' . $pick['amount']);

// Create, as WooCommerce does: the float amount and the exchange as a string.
$body = json_encode(['tgt_currency' => 'COP', 'src_currency' => 'BTC', 'amount' => $total,
    'exchange_id' => (string)$pick['exchange'], 'callback' => $callback]);
step('create body', $body);
[$st, $tx] = call('POST', $base . 'api/v1/transactions/create/', $token, $body);
if (empty($tx['id'])) { fail("create: $st " . json_encode($tx)); }
foreach (['status', 'amount_to_paid', 'currency_to_paid', 'wallet', 'url', 'qr', 'waiting_time',
          'string_amount_to_change', 'string_amount_to_paid', 'string_crypto_amount_to_commerce',
          'string_fiat_amount_to_commerce'] as $k) {
    if (!isset($tx[$k])) { fail("create: no $k in " . json_encode($tx)); }
}
if ($tx['status'] != 'sending') { fail('create: status ' . $tx['status']); }
$stored = $tx['amount_to_paid'];
step('create', $tx['id'] . ' ' . $tx['status'] . ' ' . $stored . ' ' . $tx['currency_to_paid'] . ' to ' . $tx['wallet']);

// The buyer pays the exact amount (the operator's sandbox chain).
$chain = $server . '/sandbox/chain/BTC/';
[$st, $res] = call('POST', $chain . 'send', null, json_encode(['address' => $tx['wallet'], 'amount' => $stored]), ['X-Auth-Token: ' . $apiKey]);
if ($st != 200 || empty($res['txid'])) { fail("send: $st " . json_encode($res)); }
step('send', $res['txid']);

// poll re-reads the transaction as the thank-you page and the IPN handler do.
function poll($base, $token, $id, $want) {
    for ($i = 0; $i < 100; $i++) {
        [$st, $tx] = call('GET', $base . 'api/v1/transactions/' . $id . '/', $token);
        if ($st != 200) { fail("read: $st " . json_encode($tx)); }
        if ($tx['status'] == $want) { return $tx; }
        usleep(100000);
    }
    fail("transaction $id never became $want (last " . $tx['status'] . ')');
}
$tx = poll($base, $token, $tx['id'], 'verifying');
step('read', $tx['status']);

[$st, $res] = call('POST', $chain . 'mine', null, json_encode(['blocks' => 1]), ['X-Auth-Token: ' . $apiKey]);
if ($st != 200 || !isset($res['height'])) { fail("mine: $st " . json_encode($res)); }
step('mine', $res['height']);
$tx = poll($base, $token, $tx['id'], 'approved');
// WooCommerce's check: the amount it stored must not have moved.
if (abs((float)$stored - (float)$tx['amount_to_paid']) > 0.0001) { fail('amount_to_paid moved: ' . $tx['amount_to_paid']); }
step('read', $tx['status'] . ' ' . $tx['amount_to_paid']);

// A second order, cancelled by the shop (an empty POST).
[$st, $tx2] = call('POST', $base . 'api/v1/transactions/create/', $token, $body);
if (empty($tx2['id'])) { fail("create 2: $st " . json_encode($tx2)); }
[$st, $res] = call('POST', $base . 'api/v1/transactions/cancel/' . $tx2['id'] . '/', $token);
if ($st != 200 || $res['status'] != 'canceled') { fail("cancel: $st " . json_encode($res)); }
step('cancel', $tx2['id'] . ' ' . $res['status']);

// The PrestaShop 1.6 button's swapped arguments get a clear 400.
[$st, $res] = call('GET', $base . 'api/v1/transactions/available/currencies/COP/150000.30/', $token);
if ($st != 400 || !isset($res['code']) || !isset($res['detail'])) { fail("swapped quote: $st " . json_encode($res)); }
step('swapped', $res['code'] . ' ' . $res['field']);

echo "ok\n";
