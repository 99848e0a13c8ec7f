/**
 * How a peer connection's parts are joined: the transports tell the events, the media pipelines and the data
 * channels; the transceivers and signaling drive negotiationneeded; stats read them all. RTCPeerConnection
 * (the W3C face) holds the parts and delegates; this module is the one place that knows who calls whom.
 */
import { uuid } from '../common/random.js';
import type { RTCDataChannel } from '../datachannel/data-channel.js';
import { RTCDataChannelEvent } from '../datachannel/sctp-transport.js';
import type { RTCCertificate } from '../dtls/certificate.js';
import type { Runtime } from '../net/runtime.js';
import type { ResolvedConfiguration } from './configuration.js';
import { ConnectionEvents } from './connection-events.js';
import type { ConnectionStates } from './connection-state.js';
import { ConnectionStats } from './connection-stats.js';
import { MediaPipelines, sendEncodingsOf } from './media-pipelines.js';
import { NegotiationNeeded } from './negotiation-needed.js';
import type { OperationsChain } from './operations-chain.js';
import { RemoteStreams } from './remote-streams.js';
import { Signaling } from './signaling.js';
import { TransceiverSet } from './transceiver-set.js';
import { ConnectionTransports } from './transports.js';

/** What the parts need from the connection that holds them. */
export interface ConnectionHost {
  readonly runtime: Runtime;
  readonly states: ConnectionStates;
  readonly operations: OperationsChain;
  /** Every data channel of the connection, ours and the peer's (the parts append the peer's). */
  readonly channels: RTCDataChannel[];
  isClosed(): boolean;
  config(): ResolvedConfiguration;
  certificates(): Promise<readonly RTCCertificate[]>;
  certificate(): RTCCertificate | undefined;
  /** A data section is wanted (a channel was created, or the peer offered one). */
  wantsData(): boolean;
  setWantsData(): void;
  dispatch(event: Event): void;
}

export interface ConnectionParts {
  readonly events: ConnectionEvents;
  readonly pipelines: MediaPipelines;
  readonly transports: ConnectionTransports;
  readonly transceivers: TransceiverSet;
  readonly signaling: Signaling;
  readonly stats: ConnectionStats;
  readonly negotiation: NegotiationNeeded;
}

export function assembleConnection(host: ConnectionHost): ConnectionParts {
  const { runtime } = host;
  const cname = uuid(runtime.random);
  const remoteStreams = new RemoteStreams();
  // The parts refer to each other through closures, which run only after assembly.
  const events = new ConnectionEvents({
    timers: runtime.timers,
    states: host.states,
    transports: () => transports,
    isClosed: () => host.isClosed(),
    localSectionIndex: (mid) => signaling.localSectionIndex(mid),
    dispatch: (event) => host.dispatch(event),
  });
  const pipelines = new MediaPipelines(runtime.clock, (e) => events.bandwidthEstimate(e));
  const transports = new ConnectionTransports(() => host.config(), runtime, cname, {
    localCandidate: (transport, e) => events.localCandidate(transport, e),
    candidateError: (e) => runtime.timers.task(() => !host.isClosed() && host.dispatch(e)),
    gatheringStateChange: (transport, state) => events.gatheringChanged(transport, state),
    transportsDiscarded: () => events.transportsDiscarded(),
    stateChange: () => events.stateChanged(),
    dataChannel: (channel) => {
      host.channels.push(channel);
      host.dispatch(new RTCDataChannelEvent('datachannel', { channel }));
    },
    media: (event) => pipelines.dispatch(event),
    sendEncodings: (mid, rids) => {
      const t = transceivers.byMid(mid);
      return t ? sendEncodingsOf(t.sender, rids) : [];
    },
    mediaConfigured: (config, linkFor) => {
      pipelines.sync(transceivers.list, config, linkFor);
      for (const t of transceivers.list) {
        t.sender.statsSource = () => stats.select((s) => s.type === 'outbound-rtp' && s.mid === t.mid);
        t.receiver.statsSource = () => stats.select((s) => s.type === 'inbound-rtp' && s.mid === t.mid);
      }
    },
  });
  const transceivers = new TransceiverSet(runtime.random, () => negotiation.update(), {
    isClosed: () => host.isClosed(),
    queueTask: (fn) => runtime.timers.task(fn),
    chain: (name, op) => host.operations.run(name, op),
    negotiationNeeded: () => negotiation.update(),
  });
  const signaling = new Signaling({
    transceivers,
    transports,
    cname,
    config: () => host.config(),
    certificates: () => host.certificates(),
    wantsData: () => host.wantsData(),
    remoteOfferedData: () => host.setWantsData(),
    signalingStateChanged: () => {
      host.dispatch(new Event('signalingstatechange'));
      if (signaling.state === 'stable') negotiation.update();
    },
    // In the setRemoteDescription task, after signalingstatechange (W3C "process remote tracks").
    remoteTracks: (changes, remote) => {
      for (const event of remoteStreams.process(changes, remote)) host.dispatch(event);
    },
  });
  const stats = new ConnectionStats({
    clock: runtime.clock,
    transports,
    pipelines,
    channels: host.channels,
    transceivers: () => transceivers.list,
    certificate: () => host.certificate(),
  });
  const negotiation = new NegotiationNeeded(
    () => ({
      closed: host.isClosed(),
      stable: signaling.state === 'stable',
      busy: host.operations.busy,
      restartPending: signaling.restartPending,
      wantsData: host.wantsData(),
      weAreOfferer: signaling.weAreOfferer,
      currentLocal: signaling.currentLocalModel,
      transceivers: transceivers.list,
    }),
    (fn) => runtime.timers.task(fn),
    () => host.dispatch(new Event('negotiationneeded')),
  );
  return { events, pipelines, transports, transceivers, signaling, stats, negotiation };
}
