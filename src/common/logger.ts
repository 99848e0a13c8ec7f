/**
 * Namespaced logging, silent by default. Enable with DEBUG=tsrtc:ice,tsrtc:dtls or DEBUG=tsrtc:* .
 * Disabled loggers cost one boolean check per call; callers pass lazy arguments where formatting is costly.
 */

export interface Logger {
  readonly namespace: string;
  readonly enabled: boolean;
  debug(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  child(sub: string): Logger;
}

function patternsFromEnv(): RegExp[] {
  const spec = (typeof process !== 'undefined' && process.env.DEBUG) || '';
  return spec
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
}

let patterns = patternsFromEnv();

/** Re-read DEBUG (tests use this after changing process.env.DEBUG). */
export function refreshLogConfig(): void {
  patterns = patternsFromEnv();
}

function isEnabled(ns: string): boolean {
  return patterns.some((p) => p.test(ns));
}

class NamespacedLogger implements Logger {
  constructor(readonly namespace: string) {}
  get enabled(): boolean {
    return isEnabled(this.namespace);
  }
  debug(message: string, ...args: unknown[]): void {
    if (this.enabled) console.error(`${new Date().toISOString()} ${this.namespace} ${message}`, ...args);
  }
  warn(message: string, ...args: unknown[]): void {
    if (this.enabled || isEnabled('tsrtc:warn')) {
      console.error(`${new Date().toISOString()} ${this.namespace} WARN ${message}`, ...args);
    }
  }
  child(sub: string): Logger {
    return new NamespacedLogger(`${this.namespace}:${sub}`);
  }
}

/** `createLogger('ice')` logs under `tsrtc:ice`. */
export function createLogger(name: string): Logger {
  return new NamespacedLogger(name.startsWith('tsrtc') ? name : `tsrtc:${name}`);
}
