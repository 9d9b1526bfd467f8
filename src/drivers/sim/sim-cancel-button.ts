/** The customer's cancel button, simulated: `press` resolves after the cancel is stored. */
import type { CancelButton, DeviceHealth } from '../interfaces.js';

export class SimCancelButton implements CancelButton {
  private handler: (() => Promise<void>) | null = null;
  private running = false;

  constructor(readonly name = 'cancel-button') {}

  onPress(handler: () => Promise<void>): void {
    this.handler = handler;
  }

  async press(): Promise<void> {
    await this.handler?.();
  }

  health(): DeviceHealth {
    return { name: this.name, kind: 'button', state: this.running ? 'ok' : 'offline', detail: '' };
  }

  async start(): Promise<void> {
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
  }
}
