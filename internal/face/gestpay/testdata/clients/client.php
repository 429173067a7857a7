<?php
// A merchant's PHP code against WSCryptDecrypt, as written with PHP's
// SoapClient: it reads the WSDL, calls the address the WSDL names, and
// reads each result's XML string (->any) with SimpleXML.
//
// php client.php WSDL_URL 1.1|1.2 encrypt SHOP APIKEY SHOP_TRANSACTION_ID AMOUNT
// php client.php WSDL_URL 1.1|1.2 decrypt SHOP APIKEY CRYPTED_STRING
// prints the GestPayCryptDecrypt it got as JSON.
[$_, $wsdl, $version, $op, $shop, $key] = array_slice($argv, 0, 6);
$client = new SoapClient($wsdl, [
    'soap_version' => $version === '1.2' ? SOAP_1_2 : SOAP_1_1,
    'cache_wsdl' => WSDL_CACHE_NONE,
    'exceptions' => true,
    'trace' => true,
]);
try {
    if ($op === 'encrypt') {
        $res = $client->Encrypt([
            'shopLogin' => $shop,
            'uicCode' => '242',
            'amount' => $argv[7],
            'shopTransactionId' => $argv[6],
            'buyerName' => 'Mario Rossi',
            'buyerEmail' => 'mario@example.com',
            'languageId' => '1',
            'customInfo' => 'STORE_ID=1*P1*STORE_NAME=Negozio',
            'apikey' => $key,
        ]);
        $xml = $res->EncryptResult->any;
    } else {
        $res = $client->Decrypt(['shopLogin' => $shop, 'CryptedString' => $argv[6], 'apikey' => $key]);
        $xml = $res->DecryptResult->any;
    }
} catch (SoapFault $f) {
    fwrite(STDERR, "SoapFault: " . $f->getMessage() . "\n" . $client->__getLastRequest() . "\n");
    exit(2);
}
$r = simplexml_load_string($xml);
if ($r === false || $r->getName() !== 'GestPayCryptDecrypt') {
    fwrite(STDERR, "not a GestPayCryptDecrypt: $xml\n");
    exit(3);
}
$out = [];
foreach ($r->children() as $name => $el) {
    $out[$name] = $el->count() > 0 ? array_map('strval', iterator_to_array($el->children(), true)) : (string) $el;
}
// Which SOAP version went on the wire, as the request's envelope says.
$out['_envelope'] = strpos($client->__getLastRequest(), 'http://www.w3.org/2003/05/soap-envelope') !== false ? '1.2' : '1.1';
echo json_encode($out), "\n";
