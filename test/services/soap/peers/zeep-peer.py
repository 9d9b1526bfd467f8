"""A python3-zeep client of the kiosk's SOAP service, driven over stdin/stdout by
test/services/soap/interop-zeep.test.ts: one JSON command per line in, one JSON answer per line out.
Run with Debian's /usr/bin/python3 (python3-zeep 4.2). It does what the 1C scanning terminal does:
imports the WSDL, binds service "pos" port "pos", builds the order with the schema's named types.
"""
import json
import sys
from decimal import Decimal

import requests
import zeep
from zeep.transports import Transport

POS = '{http://www.stampsoft.ru/pos}'
client = None
service = None


def connect(cmd):
    global client, service
    session = requests.Session()
    if cmd.get('login') is not None:
        session.auth = requests.auth.HTTPBasicAuth(cmd['login'], cmd['password'])
    client = zeep.Client(cmd['wsdl'], transport=Transport(session=session, timeout=10, operation_timeout=10))
    service = client.bind('pos', 'pos')
    binding = client.wsdl.services['pos'].ports['pos'].binding
    return {
        'address': client.wsdl.services['pos'].ports['pos'].binding_options['address'],
        'operations': sorted(binding._operations.keys()),
        'soap11': isinstance(binding, zeep.wsdl.bindings.Soap11Binding),
        'soapActions': {name: op.soapaction for name, op in binding._operations.items()},
        'types': sorted(t.qname.localname for t in client.wsdl.types.types if t.qname is not None and t.qname.namespace == POS[1:-1]),
    }


def call(cmd):
    if cmd['op'] == 'Pay':
        order_type = client.get_type(POS + 'order')
        item_type = client.get_type(POS + 'orderitem')
        items = [item_type(id=i['id'], name=i['name'], count=Decimal(str(i['count'])), cost=i['cost']) for i in cmd['order']]
        return service.Pay(uid=cmd['uid'], amount=cmd['amount'], order=order_type(orderitem=items))
    return service.PayPoll(uid=cmd['uid'])


def main():
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            if cmd['cmd'] == 'connect':
                out = {'ok': True, 'info': connect(cmd)}
            else:
                out = {'ok': True, 'result': call(cmd)}
        except requests.exceptions.HTTPError as e:
            out = {'ok': False, 'error': 'HTTPError', 'status': e.response.status_code if e.response is not None else None}
        except zeep.exceptions.Fault as e:
            out = {'ok': False, 'error': 'Fault', 'fault': e.message, 'code': e.code}
        except Exception as e:  # reported to the test, which decides
            out = {'ok': False, 'error': type(e).__name__, 'message': str(e)[:300]}
        sys.stdout.write(json.dumps(out) + '\n')
        sys.stdout.flush()


main()
