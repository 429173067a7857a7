<?php
// A merchant's PHP back office against WSs2s, written with PHP's
// SoapClient: it reads the WSDL, calls the address the WSDL names, and
// reads each result's XML string (->any) with SimpleXML.
//
// php s2s.php WSDL_URL 1.1|1.2 OPERATION PARAMS_JSON
// calls OPERATION with the parameters of the JSON object (all strings) and
// prints the GestPayS2S it got as JSON: an element with children as an
// object, a repeated element as a list.
[$_, $wsdl, $version, $op, $params] = $argv;
$client = new SoapClient($wsdl, [
    'soap_version' => $version === '1.2' ? SOAP_1_2 : SOAP_1_1,
    'cache_wsdl' => WSDL_CACHE_NONE,
    'exceptions' => true,
    'trace' => true,
]);
try {
    $res = $client->__soapCall($op, [json_decode($params, true)]);
} catch (SoapFault $f) {
    fwrite(STDERR, "SoapFault: " . $f->getMessage() . "\n" . $client->__getLastRequest() . "\n");
    exit(2);
}
$xml = $res->{$op . 'Result'}->any;
$r = simplexml_load_string($xml);
if ($r === false || $r->getName() !== 'GestPayS2S') {
    fwrite(STDERR, "not a GestPayS2S: $xml\n");
    exit(3);
}

function convert(SimpleXMLElement $el) {
    if ($el->count() === 0) {
        return (string) $el;
    }
    $out = [];
    foreach ($el->children() as $name => $child) {
        $v = convert($child);
        if (!array_key_exists($name, $out)) {
            $out[$name] = $v;
        } elseif (is_array($out[$name]) && array_is_list($out[$name])) {
            $out[$name][] = $v;
        } else {
            $out[$name] = [$out[$name], $v];
        }
    }
    return $out;
}
$out = convert($r);
$out['_envelope'] = strpos($client->__getLastRequest(), 'http://www.w3.org/2003/05/soap-envelope') !== false ? '1.2' : '1.1';
echo json_encode($out), "\n";
