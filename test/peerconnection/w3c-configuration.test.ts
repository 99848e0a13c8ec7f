/**
 * RTCConfiguration as a browser converts it (WebIDL) and validates it (W3C "set a configuration"): null
 * and undefined arguments, null members, enums, `urls` as a list, and what setConfiguration may not change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RTCCertificate } from '../../src/dtls/certificate.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';

const make = (config?: unknown): RTCPeerConnection =>
  new RTCPeerConnection(config as ConstructorParameters<typeof RTCPeerConnection>[0]);

function throwsName(fn: () => unknown, name: string): void {
  assert.throws(fn, (e: Error) => e.name === name, `expected ${name}`);
}

describe('RTCConfiguration (WebIDL conversion and W3C validation)', () => {
  it('takes no argument, null or undefined as an empty configuration; the constructor length is 0', () => {
    assert.equal(RTCPeerConnection.length, 0);
    for (const arg of [undefined, null, {}]) {
      const pc = make(arg);
      const c = pc.getConfiguration();
      assert.equal(c.bundlePolicy, 'balanced');
      assert.equal(c.rtcpMuxPolicy, 'require');
      assert.equal(c.iceTransportPolicy, 'all');
      assert.equal(c.iceCandidatePoolSize, 0);
      assert.deepEqual(c.iceServers, []);
      pc.close();
    }
  });

  it('refuses null members with TypeError, and a configuration that is not an object', () => {
    for (const member of [
      'iceServers',
      'iceTransportPolicy',
      'bundlePolicy',
      'rtcpMuxPolicy',
      'certificates',
    ]) {
      assert.throws(() => make({ [member]: null }), TypeError, member);
    }
    assert.throws(() => make(42), TypeError);
    assert.throws(() => make({ iceServers: [null] }), TypeError, 'a server needs urls');
    assert.throws(() => make({ iceServers: [{}] }), TypeError, 'urls is required');
    assert.throws(() => make({ certificates: [{}] }), TypeError, 'not an RTCCertificate');
    assert.throws(() => make({ iceCandidatePoolSize: Symbol() }), TypeError);
    assert.throws(() => make({ iceCandidatePoolSize: 256 }), TypeError, '[EnforceRange] octet');
    assert.throws(() => make({ bundlePolicy: 'invalid' }), TypeError);
    assert.throws(() => make({ iceTransportPolicy: 'none' }), TypeError);
  });

  it('refuses peerIdentity (no identity provider) after converting it', () => {
    throwsName(() => make({ peerIdentity: 'alice@example.org' }), 'NotSupportedError');
    const toStringThrows = {
      toString() {
        throw new RangeError('from toString');
      },
    };
    assert.throws(() => make({ peerIdentity: toStringThrows }), RangeError);
  });

  it('accepts undefined members as absent and ignores members it does not know', () => {
    const pc = make({
      iceServers: undefined,
      bundlePolicy: undefined,
      iceTransports: 'none',
      credentialType: 'x',
    });
    assert.equal(pc.getConfiguration().bundlePolicy, 'balanced');
    pc.close();
  });

  it("gives urls back as a list and ignores the removed credentialType (as Chromium's IDL)", () => {
    const pc = make({ iceServers: [{ urls: 'stun:stun.example.net', credentialType: 'token' }] });
    assert.deepEqual(pc.getConfiguration().iceServers?.[0]?.urls, ['stun:stun.example.net']);
    pc.close();
    throwsName(() => make({ iceServers: [{ urls: [] }] }), 'SyntaxError');
    throwsName(() => make({ iceServers: [{ urls: 'http://example.com' }] }), 'SyntaxError');
    throwsName(() => make({ iceServers: [{ urls: 'turn:turn.example.net' }] }), 'InvalidAccessError');
  });

  it("accepts rtcpMuxPolicy 'negotiate' and refuses to change either policy later", () => {
    const negotiate = make({ rtcpMuxPolicy: 'negotiate' });
    assert.equal(negotiate.getConfiguration().rtcpMuxPolicy, 'negotiate');
    throwsName(() => negotiate.setConfiguration({}), 'InvalidModificationError');
    throwsName(() => negotiate.setConfiguration({ rtcpMuxPolicy: 'require' }), 'InvalidModificationError');
    negotiate.close();
    const require = make();
    throwsName(
      () => require.setConfiguration({ rtcpMuxPolicy: 'negotiate' } as never),
      'InvalidModificationError',
    );
    throwsName(() => require.setConfiguration({ bundlePolicy: 'max-bundle' }), 'InvalidModificationError');
    assert.throws(() => require.setConfiguration({ rtcpMuxPolicy: null } as never), TypeError);
    require.setConfiguration({ iceTransportPolicy: 'relay' });
    assert.equal(require.getConfiguration().iceTransportPolicy, 'relay');
    require.close();
    throwsName(() => require.setConfiguration({}), 'InvalidStateError');
  });

  it('keeps its certificates across setConfiguration({}) and refuses other ones', async () => {
    const [c1, c2] = await Promise.all([
      RTCCertificate.generateCertificate(),
      RTCCertificate.generateCertificate(),
    ]);
    const pc = make({ certificates: [c1] });
    pc.setConfiguration({});
    assert.deepEqual(pc.getConfiguration().certificates, [c1]);
    throwsName(() => pc.setConfiguration({ certificates: [c2!] }), 'InvalidModificationError');
    pc.close();
  });

  it('may change iceCandidatePoolSize only until a local description is set', async () => {
    const pc = make({ iceLoopbackOnly: true });
    pc.setConfiguration({ iceCandidatePoolSize: 2, iceLoopbackOnly: true });
    pc.createDataChannel('x');
    await pc.setLocalDescription();
    throwsName(() => pc.setConfiguration({ iceCandidatePoolSize: 3 }), 'InvalidModificationError');
    pc.close();
  });
});
