/**
 * Hostile input against the REAL daemon (contract 1 "Errors"; docs/design.md): each case
 * gets its exact outcome, a well-formed SOAP 1.1 soap:Client fault (HTTP 500, one-line faultstring,
 * the PayPoint code in detail) or the right result code, never a stack trace; a slow-loris client is
 * dropped while others are served; and afterwards the daemon still answers PayPoll with the sessions
 * it had before, unchanged.
 */
import t, { type Test } from 'tap';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { envelope, payXml, pollXml, POS_NS, returnCode, simCmd, startDaemonProcess } from '../../helpers/daemon.js';
import { ErrorCode } from '../../../src/errors.js';
import { parseFault, pollCode, pollUntilNot, STACK_TRACE, storedSession } from './support.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const ACTION = (op: string) => `"${POS_NS}#pos:${op}"`;
const TEXT_XML = 'text/xml; charset=utf-8';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with exactly the given headers (nothing added but Host and the framing node needs). */
function send(url: string, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Bytes the daemon process has read with read(2)-like calls, sockets included (/proc/PID/io rchar). */
function bytesRead(pid: number): number {
  return Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
}

const deep = (n: number) => '<p:x>'.repeat(n) + '</p:x>'.repeat(n);
const pollIn = (inner: string) => envelope(`<p:PayPoll xmlns:p="${POS_NS}">${inner}</p:PayPoll>`);
const noDecl = (xml: string) => xml.replace(/^<\?xml[^>]*\?>/, '');
const items = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i), name: 'x', count: '1', cost: 1 }));
const compactItems = (n: number) => '<orderitem><id>1</id><name>x</name><count>1</count><cost>1</cost></orderitem>'.repeat(n);

t.test('hostile input against the real daemon', async (t) => {
  // A long session timeout keeps the "running" session in progress for the whole suite.
  const d = await startDaemonProcess({ configText: '[pos]\nsession_timeout_s = 900\n' });
  t.teardown(() => d.stop());
  const url = d.url;
  const pid = d.child.pid!;

  /** Expects HTTP 500 and a well-formed soap:Client fault carrying `code`. */
  const expectFault = (t: Test, r: Reply, code: number, what: string) => {
    t.equal(r.status, 500, `${what}: HTTP 500`);
    t.match(String(r.headers['content-type']), /^text\/xml; charset=utf-8$/, `${what}: text/xml`);
    const f = parseFault(r.body);
    t.ok(f, `${what}: a well-formed SOAP 1.1 fault`);
    if (!f) return t.comment(r.body.slice(0, 300));
    t.equal(f.faultcode, 'soap:Client', `${what}: soap:Client`);
    t.equal(f.code, code, `${what}: code ${code} (${f.faultstring})`);
    t.ok(f.faultstring.length > 0 && f.faultstring.length <= 200 && !/[\r\n]/.test(f.faultstring), `${what}: a one-line faultstring`);
    t.notMatch(r.body, STACK_TRACE, `${what}: no stack trace`);
  };
  const postXml = (body: string | Buffer, headers: Record<string, string> = {}) => send(url, 'POST', '/', { 'Content-Type': TEXT_XML, ...headers }, body);
  const faultCase = (name: string, code: number, body: string | Buffer, headers: Record<string, string> = {}) =>
    t.test(name, async (t) => expectFault(t, await postXml(body, headers), code, name));
  const resultCase = (name: string, expected: number, body: string, headers: Record<string, string> = {}) =>
    t.test(name, async (t) => {
      const r = await postXml(body, headers);
      t.equal(r.status, 200, name);
      t.equal(returnCode(r.body), expected, name);
    });
  const sessionLogLines = () => d.logs.filter((l) => /"msg":"(Pay refused[^"]*|session started)"/.test(l)).length;

  // --- Sessions the daemon holds before the hostile suite (checked again at the end) ---
  t.equal(returnCode((await postXml(payXml('h-paid', 700, [{ id: '1', name: 'Чай', count: '0.5', cost: 1400 }]))).body), 0);
  t.equal((await simCmd(d, 'coin', '10')).code, 0);
  t.equal(await pollUntilNot(() => pollCode(url, 'h-paid'), 1), 0, 'h-paid is paid');
  // CDATA holding XML in the uid: accepted as a string; the same string sent escaped names the same session.
  const cdataUid = '<p:Pay><p:uid>x</p:uid></p:Pay>';
  t.equal(returnCode((await postXml(payXml(`<![CDATA[${cdataUid}]]>`, 100))).body), 0, 'Pay with a CDATA uid');
  t.equal((await simCmd(d, 'cancel')).code, 0);
  t.equal(await pollUntilNot(() => pollCode(url, `<![CDATA[${cdataUid}]]>`), 1), 2, 'PayPoll with the CDATA uid: cancelled');
  t.equal(await pollCode(url, cdataUid.replace(/</g, '&lt;').replace(/>/g, '&gt;')), 2, 'PayPoll with the uid escaped: the same session');
  t.equal(storedSession(d.dataDir, cdataUid)?.uid, cdataUid, 'stored as the text, not as markup');
  t.equal(returnCode((await postXml(payXml('h-running', 5000))).body), 0);
  t.equal(await pollCode(url, 'h-running'), 1);
  const before = { paid: storedSession(d.dataDir, 'h-paid'), running: storedSession(d.dataDir, 'h-running') };

  // --- Slow loris: started first, hangs while every other case is served ---
  const lorisState = { sent: 0, closed: false };
  const loris = new Promise<{ received: string; closed: boolean; sent: number }>((resolve) => {
    const s: Socket = connect({ host: '127.0.0.1', port: d.port, allowHalfOpen: true });
    const head = `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nX-Slow: ${'a'.repeat(5000)}\r\n\r\n`;
    let i = 0;
    let received = '';
    const timer = setInterval(() => {
      if (i < head.length && s.writable) s.write(head[i++]);
      lorisState.sent = i;
    }, 100);
    s.on('data', (c) => (received += c.toString('latin1')));
    s.on('error', () => undefined); // a write after the server closed: RST; 'close' follows
    s.on('close', () => {
      clearInterval(timer);
      lorisState.closed = true;
      resolve({ received, closed: true, sent: i });
    });
  });

  t.test('while the slow-loris client hangs, another client is served', async (t) => {
    while (lorisState.sent < 10) await new Promise((res) => setTimeout(res, 50));
    t.equal(await pollCode(url, 'h-running'), 1);
    t.equal(lorisState.closed, false, 'the slow client was still connected, sending its headers');
  });

  // --- Size and encoding ---
  faultCase('body over the 64 KiB cap (Content-Length)', ErrorCode.SoapBodyTooLarge, pollXml('h-big' + ' '.repeat(0)).replace('<p:uid>', `<p:uid><!--${'x'.repeat(70_000)}-->`));
  t.test('body over the cap, chunked (no Content-Length)', async (t) => {
    const body = Buffer.from(pollXml('h-big').replace('<p:uid>', `<p:uid><!--${'x'.repeat(70_000)}-->`));
    const r = await send(url, 'POST', '/', { 'Content-Type': TEXT_XML, 'Transfer-Encoding': 'chunked' }, body);
    expectFault(t, r, ErrorCode.SoapBodyTooLarge, 'chunked over cap');
  });

  for (const framing of ['Content-Length', 'chunked'] as const) {
    t.test(`a 10 MB body (${framing}) is refused without being read`, { timeout: 20_000 }, async (t) => {
      const total = 10 * 1024 * 1024;
      const readBefore = bytesRead(pid);
      const s = connect({ host: '127.0.0.1', port: d.port });
      const framingHeader = framing === 'Content-Length' ? `Content-Length: ${total}` : 'Transfer-Encoding: chunked';
      s.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${TEXT_XML}\r\n${framingHeader}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let written = 0;
      let response = '';
      let stop = false;
      let complete!: () => void;
      const answered = new Promise<void>((res) => (complete = res));
      s.on('data', (c) => {
        response += c.toString('utf8');
        if (response.includes('\r\n\r\n')) stop = true;
        if (response.includes('</soap:Envelope>')) complete();
      });
      const closed = new Promise<void>((res) => s.on('close', () => res()));
      s.on('error', () => (stop = true));
      // Streams with back-pressure until the server answers or drops the connection.
      while (!stop && written < total) {
        const piece = framing === 'chunked' ? Buffer.concat([Buffer.from(chunk.length.toString(16) + '\r\n'), chunk, Buffer.from('\r\n')]) : chunk;
        written += chunk.length;
        if (!s.write(piece)) await new Promise<void>((res) => (s.once('drain', res), s.once('close', res), s.once('data', () => res())));
      }
      // Like curl: stop sending once the answer is in, and hang up.
      await Promise.race([answered, closed]);
      s.destroy();
      await closed;
      const read = bytesRead(pid) - readBefore;
      t.ok(read < 1024 * 1024, `the daemon read ${read} bytes of the 10 MB`);
      t.match(response, /^HTTP\/1\.1 500 /, 'answered 500');
      t.match(response, /Connection: close/i);
      t.notMatch(response, /100 Continue/);
      const body = response.slice(response.indexOf('\r\n\r\n') + 4);
      const f = parseFault(body);
      t.equal(f?.faultcode, 'soap:Client');
      t.equal(f?.code, ErrorCode.SoapBodyTooLarge);
    });
  }

  t.test('Expect: 100-continue with an over-cap Content-Length: the fault, no 100 Continue', { timeout: 10_000 }, async (t) => {
    const s = connect({ host: '127.0.0.1', port: d.port });
    let got = '';
    s.on('data', (c) => (got += c));
    s.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${TEXT_XML}\r\nContent-Length: 10485760\r\nExpect: 100-continue\r\n\r\n`);
    await new Promise<void>((res) => s.on('close', () => res()));
    t.match(got, /^HTTP\/1\.1 500 /, 'the final answer comes first; the body is never sent');
    t.equal(parseFault(got.slice(got.indexOf('\r\n\r\n') + 4))?.code, ErrorCode.SoapBodyTooLarge);
  });
  t.test('Expect: 100-continue on a good request: 100 Continue, then the answer', { timeout: 10_000 }, async (t) => {
    const s = connect({ host: '127.0.0.1', port: d.port });
    const body = pollXml('h-continue');
    let got = '';
    s.on('data', (c) => {
      got += c;
      if (got.startsWith('HTTP/1.1 100 Continue\r\n\r\n') && !got.includes('HTTP/1.1 200')) s.write(body);
      if (got.includes('</soap:Envelope>')) s.end();
    });
    s.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${TEXT_XML}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`);
    await new Promise<void>((res) => s.on('close', () => res()));
    t.match(got, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    t.equal(returnCode(got), -4);
  });

  faultCase('Content-Encoding: gzip', ErrorCode.SoapContentEncoding, gzipSync(pollXml('h-gz')), { 'Content-Encoding': 'gzip' });
  faultCase('Content-Encoding: deflate, on a plain body', ErrorCode.SoapContentEncoding, pollXml('h-gz'), { 'Content-Encoding': 'deflate' });
  faultCase('Content-Encoding: br', ErrorCode.SoapContentEncoding, pollXml('h-gz'), { 'Content-Encoding': 'br' });

  // --- DTDs ---
  faultCase('a DOCTYPE', ErrorCode.SoapDoctype, `<!DOCTYPE soap:Envelope>${noDecl(pollXml('h-dtd'))}`);
  faultCase('XXE external entity', ErrorCode.SoapDoctype, `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${noDecl(pollXml('&xxe;'))}`);
  const lol = Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('');
  faultCase('billion laughs', ErrorCode.SoapDoctype, `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">${lol}]>${noDecl(pollXml('&l9;'))}`);

  // --- Envelope and content type ---
  faultCase('SOAP 1.2 envelope', ErrorCode.SoapNotEnvelope, pollXml('h-12').replace(SOAP11, 'http://www.w3.org/2003/05/soap-envelope'));
  faultCase('application/soap+xml', ErrorCode.SoapContentType, pollXml('h-12'), { 'Content-Type': 'application/soap+xml; charset=utf-8; action="urn:x"' });
  faultCase('wrong content type', ErrorCode.SoapContentType, pollXml('h-ct'), { 'Content-Type': 'application/json' });
  t.test('missing content type', async (t) => expectFault(t, await send(url, 'POST', '/', {}, pollXml('h-ct')), ErrorCode.SoapContentType, 'no Content-Type'));
  faultCase('a charset other than UTF-8', ErrorCode.SoapContentType, pollXml('h-ct'), { 'Content-Type': 'text/xml; charset=windows-1251' });
  faultCase('not XML', ErrorCode.SoapNotXml, 'uid=h-1&amount=100');
  faultCase('empty body', ErrorCode.SoapNotXml, '');
  faultCase('truncated XML', ErrorCode.SoapNotXml, pollXml('h-trunc').slice(0, 150));
  faultCase('text outside the root', ErrorCode.SoapNotXml, pollXml('h-text') + 'trailing');
  faultCase('two Bodies', ErrorCode.SoapNotEnvelope, pollXml('h-two').replace('</soap:Body>', `</soap:Body><soap:Body><p:PayPoll xmlns:p="${POS_NS}"><p:uid>b</p:uid></p:PayPoll></soap:Body>`));
  faultCase('invalid UTF-8', ErrorCode.SoapNotXml, Buffer.concat([Buffer.from(pollXml('h-utf').split('h-utf')[0]), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(pollXml('h-utf').split('h-utf')[1])]));
  faultCase('a mustUnderstand header', ErrorCode.SoapSchema, pollXml('h-mu').replace('<soap:Body>', `<soap:Header><x:Tx xmlns:x="urn:x" soap:mustUnderstand="1">1</x:Tx></soap:Header><soap:Body>`));

  // --- SOAPAction ---
  t.test('PayPoll body with the Pay SOAPAction: a fault, and Pay does not run', async (t) => {
    const logs = sessionLogLines();
    expectFault(t, await postXml(pollXml('h-action'), { SOAPAction: ACTION('Pay') }), ErrorCode.SoapActionMismatch, 'action mismatch');
    t.equal(sessionLogLines(), logs, 'the engine saw no Pay');
    t.equal(storedSession(d.dataDir, 'h-action'), null);
  });
  t.test('Pay body with the PayPoll SOAPAction: a fault, and Pay does not run', async (t) => {
    const logs = sessionLogLines();
    expectFault(t, await postXml(payXml('h-action2', 100), { SOAPAction: ACTION('PayPoll') }), ErrorCode.SoapActionMismatch, 'action mismatch');
    t.equal(sessionLogLines(), logs, 'the engine saw no Pay');
  });
  faultCase('unknown SOAPAction', ErrorCode.SoapActionMismatch, pollXml('h-act'), { SOAPAction: '"urn:Delete"' });
  resultCase('the right SOAPAction works', -4, pollXml('h-act'), { SOAPAction: ACTION('PayPoll') });

  // --- Operations, types, names ---
  faultCase('unknown operation', ErrorCode.SoapUnknownOperation, envelope(`<p:Refund xmlns:p="${POS_NS}"><p:uid>h</p:uid></p:Refund>`));
  faultCase('operation in the wrong namespace', ErrorCode.SoapUnknownOperation, pollXml('h-ns').replace(`xmlns:p="${POS_NS}"`, 'xmlns:p="http://www.stampsoft.ru/pos2"'));
  faultCase('child in the wrong namespace', ErrorCode.SoapSchema, pollIn('<q:uid xmlns:q="urn:other">h</q:uid>'));
  faultCase('amount 12abc', ErrorCode.SoapSchema, payXml('h-12abc', '12abc'));
  faultCase('amount int overflow', ErrorCode.SoapSchema, payXml('h-ovf', '2147483648'));
  faultCase('cost int overflow', ErrorCode.SoapSchema, payXml('h-ovf2', 100, [{ id: '1', name: 'x', count: '1', cost: '99999999999999999999' }]));
  faultCase('count not a decimal', ErrorCode.SoapSchema, payXml('h-cnt', 100, [{ id: '1', name: 'x', count: '1e3', cost: 1 }]));
  faultCase('duplicate elements', ErrorCode.SoapSchema, pollIn('<p:uid>a</p:uid><p:uid>b</p:uid>'));
  faultCase('unknown elements', ErrorCode.SoapSchema, pollIn('<p:uid>a</p:uid><p:admin>1</p:admin>'));
  faultCase('__proto__ element', ErrorCode.SoapSchema, pollIn('<p:uid>a</p:uid><p:__proto__><p:polluted>1</p:polluted></p:__proto__>'));
  faultCase('constructor element', ErrorCode.SoapSchema, pollIn('<p:constructor>a</p:constructor>'));
  faultCase('__proto__ attribute', ErrorCode.SoapSchema, pollIn('<p:uid __proto__="x">a</p:uid>'));
  faultCase('deep nesting (1000 levels)', ErrorCode.SoapTooDeep, pollIn(`<p:uid>${deep(1000)}</p:uid>`));
  faultCase('xsi:nil', ErrorCode.SoapSchema, pollIn('<p:uid xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>'));
  faultCase('Unicode operation name', ErrorCode.SoapUnknownOperation, envelope(`<p:Оплата xmlns:p="${POS_NS}"><p:uid>h</p:uid></p:Оплата>`));
  faultCase('Unicode child name', ErrorCode.SoapSchema, pollIn('<p:уид>h</p:уид>'));
  faultCase('over-long element name', ErrorCode.SoapUnknownOperation, envelope(`<p:${'N'.repeat(60_000)} xmlns:p="${POS_NS}"/>`));
  faultCase('1000 order items (over the 64 KiB body cap)', ErrorCode.SoapBodyTooLarge, payXml('h-1000', 100, items(1000)));

  // --- Well-formed but wrong values: result codes, not faults ---
  resultCase('over-long uid in PayPoll: -1', -1, pollXml('u'.repeat(129)));
  resultCase('over-long uid in Pay: -1', -1, payXml('u'.repeat(129), 100));
  resultCase('empty uid in PayPoll: -1', -1, pollXml(''));
  resultCase('negative amount: -1', -1, payXml('h-neg', -100));
  resultCase('uid with a tab: -1', -1, pollXml('a&#9;b'));
  faultCase('a character reference to a control character (not XML 1.0)', ErrorCode.SoapNotXml, pollXml('a&#x1;b'));
  resultCase('over the order item limit (501 items, inside the body cap): -1', -1, envelope(`<Pay xmlns="${POS_NS}"><uid>h-501</uid><amount>1</amount><order>${compactItems(501)}</order></Pay>`));
  resultCase('a Unicode uid is just a uid: -4', -4, pollXml('заказ-№1-😀'));
  resultCase('a new Pay while a session runs: -2', -2, payXml('h-busy', 100));

  // --- HTTP level ---
  t.test('GET of an unknown path: 404', async (t) => {
    const r = await send(url, 'GET', '/admin', {});
    t.equal(r.status, 404);
    t.notMatch(r.body, STACK_TRACE);
  });
  t.test('POST to an unknown path: 404', async (t) => {
    t.equal((await postXml(pollXml('h')).then(() => send(url, 'POST', '/soap', { 'Content-Type': TEXT_XML }, pollXml('h')))).status, 404);
  });
  for (const method of ['PUT', 'DELETE', 'PATCH']) {
    t.test(`${method}: 405`, async (t) => {
      const body = pollXml('h');
      const r = await send(url, method, '/', { 'Content-Type': TEXT_XML, 'Content-Length': String(Buffer.byteLength(body)) }, body);
      t.equal(r.status, 405);
      t.equal(r.headers.allow, 'GET, HEAD, POST');
    });
  }
  t.test('not HTTP at all: 400 and the connection is closed', { timeout: 10_000 }, async (t) => {
    const s = connect({ host: '127.0.0.1', port: d.port });
    let got = '';
    s.on('data', (c) => (got += c));
    s.on('error', () => undefined);
    await new Promise<void>((res) => s.on('close', () => res()).write('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 hello\r\n\r\n'));
    t.match(got, /^HTTP\/1\.1 400 /);
  });
  t.test('regression: data after a `Connection: close` request got a second response (400) written after the first', { timeout: 10_000 }, async (t) => {
    // node's own client does this: DELETE with a body but no Content-Length.
    const s = connect({ host: '127.0.0.1', port: d.port });
    let got = '';
    s.on('data', (c) => (got += c));
    s.on('error', () => undefined);
    s.write('DELETE / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n<x/>');
    await new Promise<void>((res) => s.on('close', () => res()));
    t.match(got, /^HTTP\/1\.1 405 /);
    t.equal(got.match(/HTTP\/1\.1 \d{3} /g)?.length, 1, 'exactly one response');
  });
  t.test('headers over the size limit: 431', async (t) => {
    const r = await send(url, 'POST', '/', { 'Content-Type': TEXT_XML, 'X-Big': 'b'.repeat(20_000) }, pollXml('h')).catch((e: Error) => ({ status: -1, body: e.message, headers: {} }));
    t.equal(r.status, 431);
  });

  // --- Meanwhile the slow client still hangs; a normal client is served, then the slow one is dropped ---
  t.test('slow loris: it is dropped', { timeout: 40_000 }, async (t) => {
    const r = await loris;
    t.ok(r.closed, 'the slow socket was closed by the server');
    t.ok(r.sent < 5000, `it was dropped before it could finish its headers (${r.sent} bytes sent)`);
    t.match(r.received, /^HTTP\/1\.1 408 /, 'with 408 Request Timeout');
  });

  // --- After the suite ---
  t.test('afterwards: the daemon still answers, its sessions intact, nothing crashed', async (t) => {
    t.equal(d.child.exitCode, null, 'the daemon is running');
    t.equal(await pollCode(url, 'h-paid'), 0);
    t.equal(await pollCode(url, 'h-running'), 1);
    t.equal(await pollCode(url, cdataUid.replace(/</g, '&lt;').replace(/>/g, '&gt;')), 2);
    t.same(storedSession(d.dataDir, 'h-paid'), before.paid, 'the paid session is unchanged');
    t.same(storedSession(d.dataDir, 'h-running'), before.running, 'the running session is unchanged');
    t.same(({} as Record<string, unknown>).polluted, undefined);
    t.equal(d.logs.filter((l) => /"level":"error"|soap:Server|"msg":"SOAP request failed"/.test(l)).length, 0, 'no internal error was logged');
    // The running session can still be finished normally.
    t.equal((await simCmd(d, 'card', 'approve')).code, 0);
    t.equal(await pollUntilNot(() => pollCode(url, 'h-running'), 1), 0);
  });
});
