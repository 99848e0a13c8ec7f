export * from './bytes.js';
export * from './crc.js';
export * from './engine.js';
export * from './errors.js';
export * from './events.js';
export * from './logger.js';
export * from './random.js';
export * from './transport.js';
