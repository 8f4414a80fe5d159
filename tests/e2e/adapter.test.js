// html/oicall-mediasoup.js with each of mediasoup-client's built-in handlers
// (Chrome111, Firefox120, Safari12, ReactNative106), in plain node: the real
// Device, Transport and handler code run over a fake RTCPeerConnection that
// writes browser-like SDP, so a transport's 'connect' must carry the local
// ICE credentials of that transport's own peer connection.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { Device } from 'mediasoup-client';
import { Chrome111 } from 'mediasoup-client/handlers/Chrome111';
import { Firefox120 } from 'mediasoup-client/handlers/Firefox120';
import { Safari12 } from 'mediasoup-client/handlers/Safari12';
import { ReactNative106 } from 'mediasoup-client/handlers/ReactNative106';
import { oicallHandlerFactory } from '../../html/oicall-mediasoup.js';

// What the fake peer connection offers, as libwebrtc writes it.
const CODECS = {
  audio: { pt: 111, rtpmap: 'opus/48000/2', fmtp: 'minptime=10;useinbandfec=1', rtcpFb: ['transport-cc'] },
  video: { pt: 96, rtpmap: 'VP8/90000', rtcpFb: ['goog-remb', 'transport-cc', 'ccm fir', 'nack', 'nack pli'] },
};

// mediasoup's router capabilities for Opus and VP8.
const ROUTER_CAPS = {
  codecs: [
    { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100,
      parameters: {}, rtcpFeedback: [{ type: 'nack', parameter: '' }, { type: 'transport-cc', parameter: '' }] },
    { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, preferredPayloadType: 101, parameters: {},
      rtcpFeedback: [{ type: 'nack', parameter: '' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' },
        { type: 'goog-remb', parameter: '' }, { type: 'transport-cc', parameter: '' }] },
    { kind: 'video', mimeType: 'video/rtx', clockRate: 90000, preferredPayloadType: 102, parameters: { apt: 101 }, rtcpFeedback: [] },
  ],
  headerExtensions: [
    { kind: 'audio', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 1, preferredEncrypt: false, direction: 'sendrecv' },
    { kind: 'video', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 1, preferredEncrypt: false, direction: 'sendrecv' },
  ],
};

// A consumer's rtpParameters as mediasoup's create-consumer answer holds them.
const CONSUMER_RTP = {
  mid: '0',
  codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2,
    parameters: { minptime: 10, useinbandfec: 1 }, rtcpFeedback: [{ type: 'transport-cc', parameter: '' }] }],
  headerExtensions: [],
  encodings: [{ ssrc: 345678901 }],
  rtcp: { cname: 'server-cname', reducedSize: true },
};

const fingerprint = () => randomBytes(32).toString('hex').toUpperCase().match(/../g).join(':');

function serverTransport() {
  return {
    id: randomUUID(),
    iceParameters: { usernameFragment: 'srvfrag1', password: 'serverside0password0123', iceLite: true },
    iceCandidates: [{ foundation: 'udpcandidate', priority: 1076302079, ip: '192.0.2.10', address: '192.0.2.10',
      protocol: 'udp', port: 40000, type: 'host' }],
    dtlsParameters: { role: 'auto', fingerprints: [{ algorithm: 'sha-256', value: fingerprint() }] },
  };
}

class FakeTrack extends EventTarget {
  constructor(kind) {
    super();
    this.id = randomUUID();
    this.kind = kind;
    this.enabled = true;
    this.readyState = 'live';
  }

  stop() { this.readyState = 'ended'; }
}

class FakeMediaStream {
  id = randomUUID();
}

// A fresh RTCPeerConnection class whose instances each have their own ICE
// credentials and DTLS fingerprint, all listed in pcs.
function fakePeerConnection() {
  const pcs = [];
  class FakePeerConnection extends EventTarget {
    connectionState = 'new';
    iceGatheringState = 'new';
    localDescription = null;
    remoteDescription = null;
    transceivers = [];

    constructor() {
      super();
      pcs.push(this);
      // Every other one all digits, which sdp-transform parses as a number.
      const ufrag = pcs.length % 2 ? randomBytes(3).toString('base64') : String(48213900 + pcs.length);
      this.ice = { usernameFragment: ufrag, password: randomBytes(18).toString('base64') };
      this.fingerprint = fingerprint();
    }

    addTransceiver(trackOrKind, { direction = 'sendrecv', streams = [] } = {}) {
      const track = typeof trackOrKind === 'string' ? null : trackOrKind;
      const kind = track ? track.kind : trackOrKind;
      return this.addFakeTransceiver({ kind, mid: null, pt: CODECS[kind].pt, direction, track, stream: streams[0] });
    }

    addFakeTransceiver({ kind, mid, pt, direction, track = null, stream = null }) {
      const transceiver = { kind, mid, pt, direction, stream, ssrc: randomBytes(4).readUInt32BE(),
        sender: { track }, receiver: { track: new FakeTrack(kind) }, stop() {} };
      this.transceivers.push(transceiver);
      return transceiver;
    }

    getTransceivers() { return this.transceivers; }

    async createOffer() { return { type: 'offer', sdp: this.sdp('actpass') }; }

    async createAnswer() { return { type: 'answer', sdp: this.sdp('active') }; }

    async setLocalDescription(description) {
      this.localDescription = { type: description.type, sdp: description.sdp };
      this.transceivers.forEach((t, i) => { t.mid ??= String(i); });
    }

    // An offer's m-lines become recvonly transceivers, answering with the offer's payload types.
    async setRemoteDescription(description) {
      this.remoteDescription = { type: description.type, sdp: description.sdp };
      if (description.type !== 'offer') return;
      for (const section of description.sdp.split(/\r?\nm=/).slice(1)) {
        const kind = section.split(' ')[0];
        const mid = /a=mid:(\S+)/.exec(section)[1];
        const pt = Number(new RegExp(`a=rtpmap:(\\d+) ${CODECS[kind].rtpmap}`, 'i').exec(section)[1]);
        if (!this.transceivers.some((t) => t.mid === mid)) this.addFakeTransceiver({ kind, mid, pt, direction: 'recvonly' });
      }
    }

    close() {}

    sdp(setup) {
      const sections = this.transceivers.map((t, i) => ({ ...t, mid: t.mid ?? String(i) }));
      const lines = ['v=0', `o=- ${randomBytes(6).readUIntBE(0, 6)} 2 IN IP4 127.0.0.1`, 's=-', 't=0 0',
        `a=group:BUNDLE ${sections.map((s) => s.mid).join(' ')}`, 'a=msid-semantic: WMS'];
      for (const s of sections) {
        const codec = CODECS[s.kind];
        lines.push(`m=${s.kind} 9 UDP/TLS/RTP/SAVPF ${s.pt}`, 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0',
          `a=ice-ufrag:${this.ice.usernameFragment}`, `a=ice-pwd:${this.ice.password}`, 'a=ice-options:trickle',
          `a=fingerprint:sha-256 ${this.fingerprint}`, `a=setup:${setup}`, `a=mid:${s.mid}`,
          'a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid', `a=${s.direction}`);
        if (s.sender.track) lines.push(`a=msid:${s.stream?.id ?? '-'} ${s.sender.track.id}`);
        lines.push('a=rtcp-mux', `a=rtpmap:${s.pt} ${codec.rtpmap}`, ...codec.rtcpFb.map((fb) => `a=rtcp-fb:${s.pt} ${fb}`));
        if (codec.fmtp) lines.push(`a=fmtp:${s.pt} ${codec.fmtp}`);
        if (s.sender.track) lines.push(`a=ssrc:${s.ssrc} cname:fakecname${pcs.indexOf(this)}`);
      }
      return `${lines.join('\r\n')}\r\n`;
    }
  }
  return { FakePeerConnection, pcs };
}

// Firefox120 draws a canvas to get a video track for its capabilities offer.
const fakeDocument = {
  createElement: () => ({ getContext() {}, captureStream: () => ({ getVideoTracks: () => [new FakeTrack('video')] }), remove() {} }),
};

// Sets the given globals; the returned function puts back what was there.
function setGlobals(values) {
  const saved = Object.keys(values).map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)]);
  Object.assign(globalThis, values);
  return () => {
    for (const [name, descriptor] of saved) {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor); else delete globalThis[name];
    }
  };
}

// What each handler reads from the global scope (react-native-webrtc's
// registerGlobals() installs the same two names on React Native).
const HANDLERS = [
  { Handler: Chrome111, globals: {} },
  { Handler: Firefox120, globals: { document: fakeDocument } },
  { Handler: Safari12, globals: {} },
  { Handler: ReactNative106, globals: {} },
];

describe('oicallHandlerFactory', () => {
  test('refuses what is not a handler factory', () => {
    for (const bad of [undefined, null, {}, { factory: 'no' }, Chrome111]) {
      assert.throws(() => oicallHandlerFactory(bad), TypeError);
    }
  });

  for (const { Handler, globals } of HANDLERS) {
    test(`${Handler.name}: 'connect' carries the transport's own local ICE credentials`, async () => {
      const { FakePeerConnection, pcs } = fakePeerConnection();
      const restore = setGlobals({ RTCPeerConnection: FakePeerConnection, MediaStream: FakeMediaStream, ...globals });
      try {
        const device = new Device({ handlerFactory: oicallHandlerFactory(Handler.createFactory({})) });
        await device.load({ routerRtpCapabilities: ROUTER_CAPS });
        // Each handler makes its peer connection in its constructor.
        const sendTransport = device.createSendTransport(serverTransport());
        const sendPc = pcs.at(-1);
        const recvTransport = device.createRecvTransport(serverTransport());
        const recvPc = pcs.at(-1);
        assert.ok([sendPc, recvPc].some((pc) => /^\d+$/.test(pc.ice.usernameFragment)), 'one ufrag is all digits');

        const connects = new Map();
        for (const transport of [sendTransport, recvTransport]) {
          transport.on('connect', ({ dtlsParameters }, callback) => {
            connects.set(transport.id, dtlsParameters);
            callback();
          });
        }
        sendTransport.on('produce', (parameters, callback) => callback({ id: randomUUID() }));
        await sendTransport.produce({ track: new FakeTrack('audio') });
        await recvTransport.consume({ id: randomUUID(), producerId: randomUUID(), kind: 'audio', rtpParameters: CONSUMER_RTP });

        assert.equal(connects.size, 2);
        for (const [transport, pc] of [[sendTransport, sendPc], [recvTransport, recvPc]]) {
          // Both sides answer ICE-lite mediasoup as DTLS client, with the fingerprint of their SDP.
          assert.deepEqual(connects.get(transport.id), {
            role: 'client',
            fingerprints: [{ algorithm: 'sha-256', value: pc.fingerprint }],
            iceParameters: pc.ice,
          }, `${transport.direction} transport`);
        }
      } finally {
        restore();
      }
    });
  }
});
