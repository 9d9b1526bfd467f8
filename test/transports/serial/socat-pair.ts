/** Test helper: a real pty pair made by socat (src/transports/serial/pty-pair.ts). Not a test itself. */
export { openPtyPair, type PtyPair } from '../../../src/transports/serial/pty-pair.js';
