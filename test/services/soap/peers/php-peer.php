<?php
// A php-soap client (SoapClient in WSDL mode, SOAP 1.1) of the kiosk's SOAP service, driven over
// stdin/stdout by test/services/soap/interop-php.test.ts: one JSON command per line in, one JSON answer
// per line out. Like 1C, it builds everything from the served WSDL.
$client = null;

function answer(array $a): void {
    fwrite(STDOUT, json_encode($a, JSON_UNESCAPED_UNICODE) . "\n");
    fflush(STDOUT);
}

while (($line = fgets(STDIN)) !== false) {
    $cmd = json_decode($line, true);
    try {
        if ($cmd['cmd'] === 'connect') {
            $opts = [
                'soap_version' => SOAP_1_1,
                'cache_wsdl' => WSDL_CACHE_NONE,
                'exceptions' => true,
                'trace' => true,
                'connection_timeout' => 10,
            ];
            if (isset($cmd['login'])) {
                $opts['login'] = $cmd['login'];
                $opts['password'] = $cmd['password'];
                $opts['authentication'] = SOAP_AUTHENTICATION_BASIC;
            }
            $client = new SoapClient($cmd['wsdl'], $opts);
            $functions = $client->__getFunctions();
            sort($functions);
            $types = $client->__getTypes();
            sort($types);
            answer(['ok' => true, 'info' => ['functions' => $functions, 'types' => $types]]);
        } elseif ($cmd['op'] === 'Pay') {
            $items = [];
            foreach ($cmd['order'] as $i) {
                // count as a string: xs:decimal goes on the wire exactly as written (weighed goods).
                $items[] = ['id' => $i['id'], 'name' => $i['name'], 'count' => (string)$i['count'], 'cost' => $i['cost']];
            }
            $r = $client->Pay(['uid' => $cmd['uid'], 'amount' => $cmd['amount'], 'order' => ['orderitem' => $items]]);
            answer(['ok' => true, 'result' => $r->return, 'request' => $client->__getLastRequest(), 'requestHeaders' => $client->__getLastRequestHeaders()]);
        } else {
            $r = $client->PayPoll(['uid' => $cmd['uid']]);
            answer(['ok' => true, 'result' => $r->return]);
        }
    } catch (SoapFault $f) {
        $status = null;
        if ($client !== null) {
            $h = $client->__getLastResponseHeaders();
            if ($h && preg_match('#^HTTP/\S+ (\d+)#', $h, $m)) $status = (int)$m[1];
        }
        answer(['ok' => false, 'error' => 'SoapFault', 'faultcode' => $f->faultcode, 'message' => substr($f->getMessage(), 0, 300), 'status' => $status]);
    } catch (Throwable $e) {
        answer(['ok' => false, 'error' => get_class($e), 'message' => substr($e->getMessage(), 0, 300)]);
    }
}
