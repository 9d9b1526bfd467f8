/** The WSDL and pos.xsd shipped in the repository (contract 1), read once, served with a real address. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./wsdl/', import.meta.url));
let wsdl: string | null = null;
let xsd: string | null = null;

export function posWsdlText(): string {
  return (wsdl ??= readFileSync(dir + 'pos.wsdl', 'utf8'));
}

export function posXsdText(): string {
  return (xsd ??= readFileSync(dir + 'pos.xsd', 'utf8'));
}

function escapeAttr(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** The WSDL with soap:address set to `address` (contract 1: never a placeholder). */
export function wsdlWithAddress(address: string): string {
  return posWsdlText().replace(/(<soap:address\s+location=")[^"]*(")/, `$1${escapeAttr(address)}$2`);
}
