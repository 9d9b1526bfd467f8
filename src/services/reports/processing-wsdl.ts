/**
 * The processing server's WSDL shipped with the firmware (wsdl/processing.wsdl), with the configured
 * namespace and service name put in place of the defaults (contract 3: "its own target namespace
 * (configurable)"), so the daemon never needs the server's WSDL to start.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DEFAULT_NAMESPACE = 'http://www.stampsoft.ru/processing';
export const DEFAULT_SERVICE = 'processing';
export const POS_NS = 'http://www.stampsoft.ru/pos';

const file = fileURLToPath(new URL('./wsdl/processing.wsdl', import.meta.url));
let template: string | null = null;

export function processingWsdlTemplate(): string {
  return (template ??= readFileSync(file, 'utf8'));
}

function escapeAttr(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** The WSDL for namespace `ns` and service `service` (the names 1C derives from the service name too). */
export function processingWsdl(ns: string, service: string): string {
  const text = processingWsdlTemplate()
    // Names derived from the service: processing, processingPortType, processingSoap, processingSoap12Binding...
    .replace(/(name="|tns:|#)processing(?=(?:PortType|Soap|Soap12|SoapBinding|Soap12Binding)?["#:])/g, `$1${service}`)
    .split(DEFAULT_NAMESPACE)
    .join(escapeAttr(ns));
  return text;
}

/** soapAction of Register as 1C publishes it: "<namespace>#<service>:Register" (docs/design.md, "1C-published web services"). */
export function registerSoapAction(ns: string, service: string): string {
  return `${ns}#${service}:Register`;
}

/** The endpoint: the configured server URL plus the publication path (contract 3), never soap:address. */
export function endpointOf(url: string, path: string): string {
  return url.replace(/\/+$/, '') + path;
}
