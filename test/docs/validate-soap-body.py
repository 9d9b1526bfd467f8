#!/usr/bin/python3
"""
Validates the SOAP 1.1 Body content of a message against XML schemas with lxml (libxml2), strictly.

usage: validate-soap-body.py MESSAGE.xml SCHEMA_SOURCE...
A SCHEMA_SOURCE is an .xsd file or a WSDL whose <types> hold xs:schema elements (1C inlines its schemas
and imports between them without schemaLocation: the imports are bound to the other sources here).
Prints "valid" (exit 0) or each schema error (exit 1).
"""
import os
import sys
import tempfile
from lxml import etree

XS = 'http://www.w3.org/2001/XMLSchema'
SOAP = 'http://schemas.xmlsoap.org/soap/envelope/'

msg_file, sources = sys.argv[1], sys.argv[2:]
schemas = []
for src in sources:
    doc = etree.parse(src)
    root = doc.getroot()
    if root.tag == '{%s}schema' % XS:
        schemas.append(root)
    else:
        schemas.extend(root.iter('{%s}schema' % XS))

tmp = tempfile.mkdtemp(prefix='pp-xsd-')
files = {}
for i, s in enumerate(schemas):
    files.setdefault(s.get('targetNamespace'), []).append(os.path.join(tmp, 's%d.xsd' % i))
for i, s in enumerate(schemas):
    s = etree.fromstring(etree.tostring(s))
    for imp in s.iter('{%s}import' % XS):
        ns = imp.get('namespace')
        if imp.get('schemaLocation') is None and ns in files:
            imp.set('schemaLocation', files[ns][0])
    with open(os.path.join(tmp, 's%d.xsd' % i), 'wb') as f:
        f.write(etree.tostring(s))

wrapper = etree.Element('{%s}schema' % XS, nsmap={'xs': XS}, targetNamespace='urn:paypoint:test:wrapper')
for ns, fs in files.items():
    etree.SubElement(wrapper, '{%s}import' % XS, namespace=ns, schemaLocation=fs[0])
schema = etree.XMLSchema(etree.ElementTree(wrapper))

msg = etree.parse(msg_file).getroot()
if msg.tag != '{%s}Envelope' % SOAP:
    print('not a SOAP 1.1 Envelope: %s' % msg.tag)
    sys.exit(1)
body = msg.find('{%s}Body' % SOAP)
kids = [k for k in body if isinstance(k.tag, str)] if body is not None else []
if len(kids) != 1:
    print('the Body must hold exactly one element, it holds %d' % len(kids))
    sys.exit(1)
if schema.validate(etree.ElementTree(kids[0])):
    print('valid')
    sys.exit(0)
for e in schema.error_log:
    print('line %d: %s' % (e.line, e.message))
sys.exit(1)
