export * from './channel-data.js';
export * from './client.js';
export * from './inbound.js';
export * from './peer-bindings.js';
export * from './requests.js';
export * from './send-indication.js';
export * from './stream-framer.js';
export * from './types.js';
