#!/usr/bin/python3
"""
An independent, strict stand-in for the 1C processing server (contract 3), for the reports tests.

Spyne with Soap11(validator='lxml') serves the Register operation in the configured namespace and service
name, with the `order` type from http://www.stampsoft.ru/pos: a request whose types, namespaces, element
order or order items break the schema is refused with a soap:Client fault before Register runs.

Every POST it receives is appended to --record as one JSON line:
  {"status": HTTP status, "result": "true"|"false"|"fault"|"invalid"|"html502"|"notxml"|"401",
   "values": {...Register's parsed arguments...} or null, "raw": the request body, "at": unix time}

Behaviour is switched at run time with GET /__control?mode=M[&delay=S][&refuse=PREFIX]:
  ok      Register answers true (uids starting with PREFIX, if given, answer false)
  false   Register answers false for every report
  fault   Register raises a server fault (HTTP 500 with a SOAP fault)
  slow    sleeps S seconds, then answers as "ok"
  html502 HTTP 502 with an HTML body (a proxy whose 1C is down)
  notxml  HTTP 200 with a body that is not XML
  401     HTTP 401 with WWW-Authenticate: Basic
With --login/--password every request needs those HTTP Basic credentials (401 otherwise).
With --cert/--key it speaks HTTPS.
With --wsdl FILE, GET ?wsdl answers that file (the 1C-shaped WSDL, as 1C would publish it) instead of
spyne's own.

Run with /usr/bin/python3 (Debian's python3-spyne and python3-lxml).
"""
import argparse
import base64
import json
import os
import ssl
import sys
import threading
import time
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from spyne import Application, ComplexModel, Fault, ServiceBase, rpc
from spyne.model.complex import Array
from spyne.model.primitive import Boolean, Decimal, Integer32, Unicode
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication

POS_NS = 'http://www.stampsoft.ru/pos'

p = argparse.ArgumentParser()
p.add_argument('--port', type=int, default=0)
p.add_argument('--ns', default='http://www.stampsoft.ru/processing')
p.add_argument('--service', default='processing')
p.add_argument('--record', required=True)
p.add_argument('--mode', default='ok')
p.add_argument('--delay', type=float, default=0)
p.add_argument('--refuse', default='')
p.add_argument('--login', default='')
p.add_argument('--password', default='')
p.add_argument('--cert', default='')
p.add_argument('--key', default='')
p.add_argument('--wsdl', default='')
args = p.parse_args()

state = {'mode': args.mode, 'delay': args.delay, 'refuse': args.refuse}
lock = threading.Lock()
local = threading.local()
record = open(args.record, 'a', encoding='utf-8')


def req(t):
    # Everything the contract sends is mandatory and not nillable: strictness as 1C's XDTO applies it.
    return t(min_occurs=1, max_occurs=1, nillable=False)


class orderitem(ComplexModel):
    __namespace__ = POS_NS
    _type_info = [
        ('id', req(Unicode)),
        ('name', req(Unicode)),
        ('count', req(Decimal)),
        ('cost', req(Integer32)),
    ]


class order(ComplexModel):
    __namespace__ = POS_NS
    _type_info = [('orderitem', orderitem.customize(min_occurs=0, max_occurs='unbounded', nillable=False))]


class Processing(ServiceBase):
    @rpc(req(Unicode), req(Unicode), req(Integer32), req(Integer32), req(Integer32), req(Integer32), req(Integer32),
         order.customize(min_occurs=1, nillable=False), req(Integer32),
         _returns=Boolean, _out_variable_name='return', _body_style='wrapped',
         _in_message_name='Register', _out_message_name='RegisterResponse', _operation_name='Register')
    def Register(ctx, terminal_id, uid, amount, pay_amount, charge_amount, rest_amount, pay_type, order, time):  # noqa: A002 (the contract's names)
        items = [{'id': i.id, 'name': i.name, 'count': str(i.count), 'cost': i.cost} for i in (order.orderitem or [])]
        local.values = {
            'terminal_id': terminal_id, 'uid': uid, 'amount': amount, 'pay_amount': pay_amount,
            'charge_amount': charge_amount, 'rest_amount': rest_amount, 'pay_type': pay_type,
            'order': items, 'time': time,
        }
        mode = state['mode']
        if mode == 'fault':
            local.result = 'fault'
            raise Fault(faultcode='Server', faultstring='processing failed (test fault)')
        if mode == 'false' or (state['refuse'] and uid.startswith(state['refuse'])):
            local.result = 'false'
            return False
        local.result = 'true'
        return True


application = Application([Processing], tns=args.ns, name=args.service,
                          in_protocol=Soap11(validator='lxml'), out_protocol=Soap11())
soap_app = WsgiApplication(application)


def write_record(status, result, raw):
    line = json.dumps({'status': status, 'result': result, 'values': getattr(local, 'values', None),
                       'raw': raw.decode('utf-8', 'replace'), 'at': time.time()}, ensure_ascii=False)
    with lock:
        record.write(line + '\n')
        record.flush()


def app(environ, start_response):
    path = environ.get('PATH_INFO', '')
    if path == '/__control':
        q = parse_qs(environ.get('QUERY_STRING', ''))
        if 'mode' in q:
            state['mode'] = q['mode'][0]
        if 'delay' in q:
            state['delay'] = float(q['delay'][0])
        if 'refuse' in q:
            state['refuse'] = q['refuse'][0]
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [json.dumps(state).encode()]
    if args.login:
        want = 'Basic ' + base64.b64encode(f'{args.login}:{args.password}'.encode()).decode()
        if environ.get('HTTP_AUTHORIZATION') != want:
            if environ['REQUEST_METHOD'] == 'POST':
                write_record(401, '401', read_body(environ))
            start_response('401 Unauthorized', [('WWW-Authenticate', 'Basic realm="1C"'), ('Content-Type', 'text/plain')])
            return [b'unauthorized']
    if environ['REQUEST_METHOD'] != 'POST':
        if args.wsdl and environ.get('QUERY_STRING', '').lower() == 'wsdl':
            with open(args.wsdl, 'rb') as f:
                text = f.read()
            start_response('200 OK', [('Content-Type', 'text/xml; charset=utf-8')])
            return [text]
        return soap_app(environ, start_response)
    raw = read_body(environ)
    local.values = None
    local.result = None
    mode = state['mode']
    if mode == 'slow':
        time.sleep(state['delay'])
    if mode == '401':
        write_record(401, '401', raw)
        start_response('401 Unauthorized', [('WWW-Authenticate', 'Basic realm="1C"'), ('Content-Type', 'text/plain')])
        return [b'unauthorized']
    if mode == 'html502':
        write_record(502, 'html502', raw)
        start_response('502 Bad Gateway', [('Content-Type', 'text/html')])
        return [b'<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><hr></body></html>']
    if mode == 'notxml':
        write_record(200, 'notxml', raw)
        start_response('200 OK', [('Content-Type', 'text/xml')])
        return [b'Service temporarily unavailable; try later {not xml']
    import io
    environ['wsgi.input'] = io.BytesIO(raw)
    environ['CONTENT_LENGTH'] = str(len(raw))
    status_box = {}

    def sr(status, headers, exc_info=None):
        status_box['status'] = int(status.split(' ', 1)[0])
        return start_response(status, headers, exc_info)

    body = b''.join(soap_app(environ, sr))
    result = local.result or 'invalid'
    write_record(status_box.get('status', 0), result, raw)
    return [body]


def read_body(environ):
    n = int(environ.get('CONTENT_LENGTH') or 0)
    return environ['wsgi.input'].read(n) if n else b''


class Quiet(WSGIRequestHandler):
    def log_message(self, *a):
        pass


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


httpd = make_server('127.0.0.1', args.port, app, server_class=Server, handler_class=Quiet)
if args.cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)

def exit_with_parent(parent=os.getppid()):
    # A test runner that times a test out kills the test, not its children: do not outlive it.
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


threading.Thread(target=exit_with_parent, daemon=True).start()
print(f'READY {httpd.server_address[1]}', flush=True)
try:
    httpd.serve_forever()
except KeyboardInterrupt:
    pass
