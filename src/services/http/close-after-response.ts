/**
 * Closing a connection whose request body was not read to the end (a body over the cap), so that the
 * client still gets the answer. Node destroys such a socket as soon as the response is written, and
 * closing a socket with unread input makes the kernel send RST: a client still uploading then gets
 * EPIPE/ECONNRESET and never reads the fault (seen with curl and node clients on a 10 MB body). A
 * staged tear-down (RFC 9112 §9.6) is used instead: send the response and FIN, stop reading, and
 * destroy the socket after a grace time in which the client reads the answer and hangs up.
 */
import type { IncomingMessage } from 'node:http';

export const LINGER_MAX_MS = 2_000;

export function closeAfterResponse(req: IncomingMessage, maxMs = LINGER_MAX_MS): void {
  const socket = req.socket;
  // node calls destroySoon() on the socket once a `Connection: close` response is finished.
  socket.destroySoon = () => {
    socket.end(); // FIN once the response is flushed
    // Read no more: node would otherwise resume the socket to discard the rest of the body (all 10 MB
    // of it). A paused socket only fills the kernel buffers, so the client blocks instead of getting
    // RST and can read the answer. Whatever resumes it is undone at once ('resume' fires synchronously).
    socket.pause();
    socket.on('resume', () => socket.pause());
    const timer = setTimeout(() => socket.destroy(), maxMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
}
