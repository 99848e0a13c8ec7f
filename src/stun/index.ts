export * from './attributes.js';
export * from './constants.js';
export * from './integrity.js';
export * from './message.js';
export * from './transaction.js';
