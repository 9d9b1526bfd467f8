/**
 * A SOAP peer (python3-zeep, php-soap) run as a child process that takes one JSON command per line on
 * stdin and answers one JSON line on stdout. One process serves a whole test file, so the peer's
 * start-up (seconds for zeep) is paid once.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export class PeerProcess {
  private readonly child: ChildProcess;
  private buf = '';
  private stderr = '';
  private waiting: Array<{ resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }> = [];
  private exited = false;

  constructor(cmd: string, args: string[]) {
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        const w = this.waiting.shift();
        if (!w) continue;
        try {
          w.resolve(JSON.parse(line) as Record<string, unknown>);
        } catch {
          w.reject(new Error(`peer wrote a line that is not JSON: ${line}; stderr: ${this.stderr}`));
        }
      }
    });
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    this.child.on('exit', (code) => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w.reject(new Error(`peer exited with ${code}; stderr: ${this.stderr}`));
    });
  }

  send(cmd: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(new Error(`peer has exited; stderr: ${this.stderr}`));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin!.write(JSON.stringify(cmd) + '\n');
    });
  }

  /** The result of a call that must succeed. */
  async result(cmd: Record<string, unknown>): Promise<unknown> {
    const r = await this.send(cmd);
    if (r.ok !== true) throw new Error(`peer call failed: ${JSON.stringify(r)}`);
    return r.result ?? r.info;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((res) => this.child.once('exit', () => res()));
    this.child.stdin!.end();
    await done;
  }
}
