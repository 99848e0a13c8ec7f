/** JSEP (RFC 8829) building blocks over the SDP model: pure functions the peer connection composes. */
export * from './answer.js';
export * from './bundle.js';
export * from './codec-negotiation.js';
export * from './data-channel.js';
export * from './direction.js';
export * from './dtls-setup.js';
export * from './header-extensions.js';
export * from './mids.js';
export * from './offer.js';
export * from './transport.js';
export * from './validate.js';
